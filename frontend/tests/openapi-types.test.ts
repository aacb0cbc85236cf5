// Holds lib/types.ts to docs/openapi.yaml. Both files are read as they are on disk: types.ts
// through the TypeScript parser, the spec through `yaml`; every property, its optionality, its
// nullability and its enum values are compared for each pair in MAPPED. Adding a type or a
// schema without a decision, changing a field on either side, or fixing a difference that is
// still listed in KNOWN_DIFFERENCES all fail here.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");

/** Each type of types.ts and the schema (a JSON pointer into the spec) it stands for. */
const MAPPED: Record<string, string> = {
  CallStatus: "#/components/schemas/Call/properties/status",
  CallOutcome: "#/components/schemas/Call/properties/outcome",
  RecordingStatus: "#/components/schemas/Call/properties/recording_status",
  CallFilter: "#/components/parameters/Status/schema",
  CallControls: "#/components/schemas/Controls",
  CallView: "#/components/schemas/Call",
  CallPhase: "#/components/schemas/Call/properties/phase",
  AgentLeg: "#/components/schemas/Call/properties/agent_leg/oneOf/1",
  CallDetail: "#/components/schemas/CallDetail",
  RecordingInfo: "#/components/schemas/CallDetail/allOf/1/properties/recordings/items",
  FieldError: "#/components/schemas/Problem/properties/errors/items",
  Problem: "#/components/schemas/Problem",
  Page: "#/paths/~1api~1calls/get/responses/200/content/application~1json/schema",
  OwnedNumber:
    "#/paths/~1api~1numbers/get/responses/200/content/application~1json/schema/properties/items/items",
  AvailableNumber: "#/components/schemas/AvailableNumber",
  Contact: "#/components/schemas/Contact",
  ContactInput: "#/components/requestBodies/ContactInput/content/application~1json/schema",
  ImportRowError: "#/components/schemas/ImportReport/properties/errors/items",
  ImportReport: "#/components/schemas/ImportReport",
  OutcomeCounts: "#/components/schemas/Summary/properties/by_outcome",
  StatsSummary: "#/components/schemas/Summary",
  StatsGroupRow: "#/components/schemas/Group",
  Stats: "#/components/schemas/Stats",
  SettingsView: "#/components/schemas/Settings",
  DialPolicy: "#/components/schemas/DialPolicy",
  AgentMode: "#/components/schemas/AgentMode",
  RecordingPrefs: "#/components/schemas/RecordingPrefs",
  SettingsUpdate: "#/paths/~1api~1settings/put/requestBody/content/application~1json/schema",
  WebhookTest: "#/components/schemas/WebhookTest",
  Role: "#/components/schemas/User/properties/role",
  User: "#/components/schemas/User",
  NewUser: "#/paths/~1api~1users/post/requestBody/content/application~1json/schema",
  UserPatch: "#/paths/~1api~1users~1{user_id}/patch/requestBody/content/application~1json/schema",
  AuditEntry: "#/paths/~1api~1audit/get/responses/200/content/application~1json/schema/items",
  RecordingLink:
    "#/paths/~1api~1calls~1{call_id}~1recording~1link/get/responses/200/content/application~1json/schema",
};

/** Types of types.ts with no schema to hold them to, and why. */
const NOT_IN_SPEC: Record<string, string> = {
  TimelineEvent: "the spec leaves a timeline item open (`items: { type: object }`)",
  TimelineCommand: "the spec leaves a timeline item open (`items: { type: object }`)",
  TimelineEntry: "the union of the two above",
  AgentOutcome:
    "the agent-side values of CallOutcome (a subset of it, for screens that single them out)",
  MePatch:
    "issue 16 (two-leg calls): the backend documents it in docs/openapi.yaml with its endpoints; map it then",
  UserAgent:
    "issue 16 (two-leg calls): the backend documents it in docs/openapi.yaml with its endpoints; map it then",
  WebRtcToken:
    "issue 16 (two-leg calls): the backend documents it in docs/openapi.yaml with its endpoints; map it then",
};

/** Component schemas no type of types.ts stands for, and why. */
const SCHEMAS_NOT_TYPED: Record<string, string> = {
  Me: "issue 16 (two-leg calls): types.ts says User with an optional agent (UserAgent) until it is mapped",
  HistoryItem: "a Call with notes and tags: CallView carries them as optional fields",
  RecordingPrefsPatch: "SettingsUpdate says Partial<RecordingPrefs>",
};

/**
 * Where the two sides differ on purpose today, each with why. Every entry must still be a
 * difference: once either side is brought into line, its entry has to go.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  "User.agent: in types.ts, not in the spec":
    "issue 16 (two-leg calls): the backend documents it in docs/openapi.yaml with its endpoints; map it then",
  "RecordingStatus: values [available, failed, processing, recording] in types.ts, any in the spec":
    "the spec leaves recording_status an open string; the server sends these four",
  "CallFilter: values [active, all, completed, failed, missed] in types.ts, [active, completed, failed, missed] in the spec":
    "`all` is the screen's no filter: it is never sent",
  "CallView.answered_by: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallView.hangup_source: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallView.sip_hangup_cause: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallView.failure: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallView.started_at: not nullable in types.ts, nullable in the spec":
    "the server always sets the start; the spec allows null",
  "CallView.recording_status: values [available, failed, processing, recording] in types.ts, any in the spec":
    "the spec leaves recording_status an open string",
  "CallView.direction: in types.ts, not in the spec":
    "CallView also types history items and inbound calls, which the live status (Call) lacks",
  "CallDetail.answered_by: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallDetail.hangup_source: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallDetail.sip_hangup_cause: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallDetail.failure: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "CallDetail.started_at: not nullable in types.ts, nullable in the spec":
    "the server always sets the start; the spec allows null",
  "CallDetail.recording_status: values [available, failed, processing, recording] in types.ts, any in the spec":
    "the spec leaves recording_status an open string",
  "CallDetail.direction: in types.ts, not in the spec":
    "CallView also types history items and inbound calls, which the live status (Call) lacks",
  "CallView.notes: in types.ts, not in the spec":
    "CallView also types history items and inbound calls, which the live status (Call) lacks",
  "CallView.tags: in types.ts, not in the spec":
    "CallView also types history items and inbound calls, which the live status (Call) lacks",
  "CallDetail.notes: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "CallDetail.tags: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "CallDetail.timeline: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "Problem.type: optional in types.ts, required in the spec":
    "ApiError also dresses network failures and non-problem answers as a Problem",
  "Problem.title: optional in types.ts, required in the spec":
    "ApiError also dresses network failures and non-problem answers as a Problem",
  "Problem.status: optional in types.ts, required in the spec":
    "ApiError also dresses network failures and non-problem answers as a Problem",
  "Problem.detail: optional in types.ts, required in the spec":
    "ApiError also dresses network failures and non-problem answers as a Problem",
  "Problem.code: optional in types.ts, required in the spec":
    "ApiError also dresses network failures and non-problem answers as a Problem",
  "OwnedNumber.is_default_caller_id: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "AvailableNumber.features: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "Contact.email: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "Contact.company: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "Contact.notes: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "ContactInput.name: required in types.ts, optional in the spec":
    "the form always sends them; the API answers a field error when one is missing",
  "ContactInput.phone: required in types.ts, optional in the spec":
    "the form always sends them; the API answers a field error when one is missing",
  "ImportReport.rows: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "ImportReport.merged: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "ImportReport.committed: optional in types.ts, required in the spec":
    "optional so the screen still works with an answer that lacks it",
  "SettingsView.telnyx_public_key: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "SettingsView.telnyx_connection_id: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "SettingsView.default_caller_id: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "SettingsView.hold_music_url: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "SettingsView.agent_phone: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "WebhookTest.event_id: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "WebhookTest.status: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "WebhookTest.error: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "WebhookTest.advice: required in types.ts, optional in the spec":
    "the server always sends it (null when unknown); the spec's `required` leaves it out",
  "NewUser.role: required in types.ts, optional in the spec":
    "the form always sends a role; the API would default it to agent",
  "AuditEntry.action: values any in types.ts, [admin_bootstrapped, dial_refused, numbers_ordered, settings_changed, sign_in, sign_in_failed, sign_out, user_created, user_updated] in the spec":
    "the screen shows an action it does not know by its code, so a newer server's is no type error",
};

interface Prop {
  optional: boolean;
  nullable: boolean;
  /** The allowed strings, when the value is one of a fixed set. */
  values: string[] | null;
  /** The fields of an object written out in place (not a named type or `$ref`). */
  fields: Shape | null;
}
type Shape = Map<string, Prop>;
/** What a type or schema holds: fields, or (an alias of literals, an enum) a value. */
type Described = { kind: "object"; fields: Shape } | { kind: "value"; prop: Prop };

// --- types.ts, through the TypeScript parser ---------------------------------------------

const source = ts.createSourceFile(
  "types.ts",
  read("../lib/types.ts"),
  ts.ScriptTarget.Latest,
  true,
);
const interfaces = new Map<string, ts.InterfaceDeclaration>();
const aliases = new Map<string, ts.TypeAliasDeclaration>();
for (const statement of source.statements) {
  if (ts.isInterfaceDeclaration(statement)) interfaces.set(statement.name.text, statement);
  if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, statement);
}

function tsValue(node: ts.TypeNode, optional: boolean): Prop {
  const prop: Prop = { optional, nullable: false, values: [], fields: null };
  const visit = (n: ts.TypeNode) => {
    if (ts.isUnionTypeNode(n)) return n.types.forEach(visit);
    if (ts.isParenthesizedTypeNode(n)) return visit(n.type);
    if (ts.isLiteralTypeNode(n)) {
      if (n.literal.kind === ts.SyntaxKind.NullKeyword) prop.nullable = true;
      else if (ts.isStringLiteral(n.literal)) prop.values?.push(n.literal.text);
      else prop.values = null;
      return;
    }
    if (ts.isTypeReferenceNode(n) && ts.isIdentifier(n.typeName) && !n.typeArguments) {
      const alias = aliases.get(n.typeName.text);
      if (alias) return visit(alias.type);
    }
    if (ts.isTypeLiteralNode(n)) prop.fields = tsMembers(n.members);
    prop.values = null;
  };
  visit(node);
  if (prop.values?.length === 0) prop.values = null;
  return prop;
}

function tsMembers(members: ts.NodeArray<ts.TypeElement>): Shape {
  const shape: Shape = new Map();
  for (const m of members) {
    // An index signature (Problem's extension members) names no field.
    if (!ts.isPropertySignature(m) || !m.type) continue;
    shape.set(m.name.getText(source), tsValue(m.type, !!m.questionToken));
  }
  return shape;
}

function describeType(name: string): Described {
  const decl = interfaces.get(name);
  if (decl) {
    const fields: Shape = new Map();
    for (const clause of decl.heritageClauses ?? []) {
      for (const parent of clause.types) {
        const inherited = describeType(parent.expression.getText(source));
        if (inherited.kind === "object") inherited.fields.forEach((p, k) => fields.set(k, p));
      }
    }
    tsMembers(decl.members).forEach((p, k) => fields.set(k, p));
    return { kind: "object", fields };
  }
  const alias = aliases.get(name);
  if (!alias) throw new Error(`types.ts has no type ${name}`);
  if (ts.isTypeLiteralNode(alias.type))
    return { kind: "object", fields: tsMembers(alias.type.members) };
  return { kind: "value", prop: tsValue(alias.type, false) };
}

// --- docs/openapi.yaml, through `yaml` -------------------------------------------------------

type Schema = Record<string, unknown>;
const spec = parse(read("../../docs/openapi.yaml")) as Schema;

function at(pointer: string): Schema {
  let node: unknown = spec;
  for (const raw of pointer.replace(/^#\//, "").split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = (node as Record<string, unknown> | undefined)?.[key];
  }
  if (!node || typeof node !== "object") throw new Error(`the spec has nothing at ${pointer}`);
  return node as Schema;
}
const deref = (s: Schema): Schema => (typeof s.$ref === "string" ? deref(at(s.$ref)) : s);

function specValue(raw: Schema, optional: boolean): Prop {
  const prop: Prop = { optional, nullable: false, values: null, fields: null };
  const visit = (s: Schema, inPlace: boolean) => {
    const resolved = deref(s);
    const types = ([] as unknown[]).concat(resolved.type ?? []);
    if (types.includes("null") || resolved.const === null) prop.nullable = true;
    if (Array.isArray(resolved.enum)) {
      if (resolved.enum.includes(null)) prop.nullable = true;
      prop.values = resolved.enum.filter((v): v is string => typeof v === "string");
    }
    if (typeof resolved.const === "string") prop.values = [resolved.const];
    for (const alt of [resolved.oneOf, resolved.anyOf]) {
      if (Array.isArray(alt)) alt.forEach((a: Schema) => visit(a, inPlace && !a.$ref));
    }
    if (inPlace && resolved.properties) prop.fields = specObject(resolved);
  };
  visit(raw, !raw.$ref);
  return prop;
}

function specObject(raw: Schema): Shape {
  const s = deref(raw);
  const fields: Shape = new Map();
  for (const part of (s.allOf as Schema[] | undefined) ?? []) {
    specObject(part).forEach((p, k) => fields.set(k, p));
  }
  const required = new Set((s.required as string[] | undefined) ?? []);
  const properties = (s.properties as Record<string, Schema> | undefined) ?? {};
  for (const [key, value] of Object.entries(properties)) {
    fields.set(key, specValue(value, !required.has(key)));
  }
  // A map with fixed keys (`required` names them, `additionalProperties` types them).
  for (const key of required) if (!fields.has(key)) fields.set(key, specValue({}, false));
  return fields;
}

// --- the comparison ------------------------------------------------------------------------

const list = (values: string[] | null) => (values ? `[${[...values].sort().join(", ")}]` : "any");

function compareProp(path: string, t: Prop, s: Prop, out: string[]) {
  if (t.optional !== s.optional) {
    out.push(
      `${path}: ${t.optional ? "optional" : "required"} in types.ts, ${s.optional ? "optional" : "required"} in the spec`,
    );
  }
  if (t.nullable !== s.nullable) {
    out.push(
      `${path}: ${t.nullable ? "nullable" : "not nullable"} in types.ts, ${s.nullable ? "nullable" : "not nullable"} in the spec`,
    );
  }
  if (list(t.values) !== list(s.values)) {
    out.push(`${path}: values ${list(t.values)} in types.ts, ${list(s.values)} in the spec`);
  }
  if (t.fields && s.fields) compareShapes(path, t.fields, s.fields, out);
}

function compareShapes(path: string, t: Shape, s: Shape, out: string[]) {
  for (const key of new Set([...t.keys(), ...s.keys()])) {
    const tp = t.get(key);
    const sp = s.get(key);
    if (!sp) out.push(`${path}.${key}: in types.ts, not in the spec`);
    else if (!tp) out.push(`${path}.${key}: in the spec, not in types.ts`);
    else compareProp(`${path}.${key}`, tp, sp, out);
  }
}

function differences(): string[] {
  const out: string[] = [];
  for (const [name, pointer] of Object.entries(MAPPED)) {
    const t = describeType(name);
    if (t.kind === "object") compareShapes(name, t.fields, specObject(at(pointer)), out);
    else
      compareProp(
        name,
        t.prop,
        { ...specValue(at(pointer), false), nullable: t.prop.nullable },
        out,
      );
  }
  return out;
}

describe("lib/types.ts against docs/openapi.yaml", () => {
  it("every type of types.ts has a schema, or a reason it has none", () => {
    const declared = [...interfaces.keys(), ...aliases.keys()].sort();
    const decided = [...Object.keys(MAPPED), ...Object.keys(NOT_IN_SPEC)].sort();
    expect(decided).toEqual(declared);
  });

  it("every component schema is stood for by a type, or has a reason it is not", () => {
    const schemas = Object.keys(at("#/components/schemas")).sort();
    const covered = new Set(Object.keys(SCHEMAS_NOT_TYPED));
    for (const pointer of Object.values(MAPPED)) {
      const m = /^#\/components\/schemas\/([^/]+)$/.exec(pointer);
      if (m) covered.add(m[1]);
    }
    // A schema that is only reached through another (Problem's errors) is covered by that one.
    expect(schemas.filter((s) => !covered.has(s))).toEqual([]);
  });

  it("fields, optionality, nullability and enum values agree (or differ as KNOWN_DIFFERENCES says)", () => {
    expect(differences().sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });
});
