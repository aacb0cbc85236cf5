//! Reads `template.yaml` (CloudFormation tags included) so tests can hold the deployment to
//! what the code serves: every route of every router mapped to
//! the function that serves it and nothing else, and the template's safety properties (queue
//! wiring, least-privilege IAM, no secret values).

use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `(METHOD, /path/{param})`, as axum and API Gateway both spell them.
pub type Route = (String, String);

/// The workspace root (this crate lives one level below it).
pub fn workspace_root() -> PathBuf {
    // Cargo sets the variable at run time too; prefer it, because the compile-time value is
    // stale when a shared target directory reuses this crate built from another checkout.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("deploy-check sits inside the workspace")
        .to_path_buf()
}

pub struct Template {
    pub doc: Value,
}

/// One `AWS::Serverless::Function` of the template.
#[derive(Debug)]
pub struct Function {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the cargo binary (= function crate) it runs.
    pub binary: Option<String>,
    pub build_method: Option<String>,
    pub routes: BTreeSet<Route>,
    /// Events that are not HTTP routes: `(event name, type)`.
    pub other_events: Vec<(String, String)>,
    pub properties: Value,
}

impl Template {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| format!("template: {e}"))?;
        Ok(Self { doc })
    }

    pub fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.doc["Resources"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    pub fn resource(&self, logical_id: &str) -> &Value {
        &self.doc["Resources"][logical_id]
    }

    pub fn globals(&self) -> &Value {
        &self.doc["Globals"]["Function"]
    }

    pub fn functions(&self) -> Vec<Function> {
        self.resources()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .map(|(id, r)| {
                let mut routes = BTreeSet::new();
                let mut other_events = Vec::new();
                for (name, event) in r["Properties"]["Events"].as_mapping().into_iter().flatten() {
                    let name = name.as_str().unwrap_or_default().to_string();
                    let kind = event["Type"].as_str().unwrap_or_default();
                    if kind == "HttpApi" {
                        let p = &event["Properties"];
                        routes.insert((
                            p["Method"]
                                .as_str()
                                .unwrap_or_default()
                                .to_ascii_uppercase(),
                            p["Path"].as_str().unwrap_or_default().to_string(),
                        ));
                    } else {
                        other_events.push((name, kind.to_string()));
                    }
                }
                Function {
                    logical_id: id.to_string(),
                    binary: r["Metadata"]["BuildProperties"]["Binary"]
                        .as_str()
                        .map(str::to_string),
                    build_method: r["Metadata"]["BuildMethod"].as_str().map(str::to_string),
                    routes,
                    other_events,
                    properties: r["Properties"].clone(),
                }
            })
            .collect()
    }

    /// A property of a function, falling back to `Globals.Function`.
    pub fn function_property<'a>(&'a self, f: &'a Function, name: &str) -> &'a Value {
        let own = &f.properties[name];
        if own.is_null() {
            &self.globals()[name]
        } else {
            own
        }
    }

    /// The function's environment: Globals overlaid with its own variables.
    pub fn environment(&self, f: &Function) -> BTreeMap<String, Value> {
        let mut env = BTreeMap::new();
        for source in [&self.globals()["Environment"], &f.properties["Environment"]] {
            for (k, v) in source["Variables"].as_mapping().into_iter().flatten() {
                if let Some(k) = k.as_str() {
                    env.insert(k.to_string(), v.clone());
                }
            }
        }
        env
    }
}

/// `!Ref X` → `("Ref", "X")`, `!GetAtt A.B` → `("GetAtt", "A.B")`, `!Sub s` → `("Sub", "s")`.
pub fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_string(),
            &t.value,
        )),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next()?;
            let k = k.as_str()?;
            let name = k.strip_prefix("Fn::").unwrap_or(k);
            (k == "Ref" || k.starts_with("Fn::")).then(|| (name.to_string(), v))
        }
        _ => None,
    }
}

/// The logical id a `!Ref` or `!GetAtt` points at.
pub fn referenced_id(value: &Value) -> Option<String> {
    let (tag, inner) = intrinsic(value)?;
    match tag.as_str() {
        "Ref" => inner.as_str().map(str::to_string),
        "GetAtt" => match inner {
            Value::String(s) => s.split('.').next().map(str::to_string),
            Value::Sequence(parts) => parts.first()?.as_str().map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

/// Every IAM statement a function's template grants it: its SAM `Policies` inline statements,
/// or its explicit role's policies.
pub fn statements(template: &Template, f: &Function) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(role_id) = referenced_id(&f.properties["Role"]) {
        for policy in template.resource(&role_id)["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            out.extend(
                policy["PolicyDocument"]["Statement"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
    }
    for policy in f.properties["Policies"].as_sequence().into_iter().flatten() {
        match policy["Statement"].as_sequence() {
            Some(s) => out.extend(s.iter().cloned()),
            // A SAM policy template or managed policy name: kept whole so tests can refuse it.
            None => out.push(policy.clone()),
        }
    }
    out
}

/// A statement's actions and resources, as lists.
pub fn actions_and_resources(statement: &Value) -> (Vec<String>, Vec<Value>) {
    let list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Sequence(s) => s.clone(),
            Value::Null => vec![],
            other => vec![other.clone()],
        }
    };
    let actions = list(&statement["Action"])
        .iter()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    (actions, list(&statement["Resource"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_and_long_form_intrinsics() {
        let t = Template::parse(
            "Resources:\n  A:\n    Properties:\n      X: !Ref Q\n      Y: !GetAtt Q.Arn\n      Z: {\"Fn::GetAtt\": [R, Arn]}\n      W: {Ref: S}\n",
        )
        .unwrap();
        let p = &t.resource("A")["Properties"];
        assert_eq!(referenced_id(&p["X"]).as_deref(), Some("Q"));
        assert_eq!(referenced_id(&p["Y"]).as_deref(), Some("Q"));
        assert_eq!(referenced_id(&p["Z"]).as_deref(), Some("R"));
        assert_eq!(referenced_id(&p["W"]).as_deref(), Some("S"));
    }
}
