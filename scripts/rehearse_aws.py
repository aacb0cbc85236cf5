"""Local AWS rehearsal: deploys the functions of template.yaml to ministack (a local AWS that
runs provided.al2023 `bootstrap` binaries as processes, no Docker) and runs a call end to end:

    curl -> API Gateway v2 (HTTP API, payload 2.0, path parameters) -> dial Lambda -> Telnyx
    emulator -> signed webhooks -> API Gateway -> webhook Lambda -> SQS -> event source mapping
    (ReportBatchItemFailures) -> processor Lambda -> MongoDB stand-in -> status Lambda via the API

What comes from template.yaml: every function, its binary, environment variable names,
timeout and memory; every HttpApi route; the queue's visibility timeout and redrive; the SQS
event source's batch size, window and response types. What does not: CloudFront, alarms, IAM
(ministack does not enforce it by default), log groups.

Run by scripts/rehearse-aws.sh (which builds the binaries and installs the tools); writes
target/rehearsal/result.json. Only processes this script starts are stopped, by pid.
"""

import base64
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from io import BytesIO

import boto3
from samtranslator.yaml_helper import yaml_parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "rehearsal")
BIN_DIR = os.environ["REHEARSAL_BIN_DIR"]
MINISTACK = os.environ["REHEARSAL_MINISTACK"]
TIME_SCALE = float(os.environ.get("REHEARSAL_TIME_SCALE", "1"))
REGION = "us-east-1"
CONNECTION_ID = "1700000000000000001"
EMULATOR_KEY = "KEY_EMULATOR_0123456789"

started_procs = []
figures = {}


def log(msg):
    print(f"rehearsal: {msg}", file=sys.stderr, flush=True)


def free_port():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start(name, argv, env=None):
    logf = open(os.path.join(OUT, f"{name}.log"), "w")
    proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True, cwd=ROOT)
    started_procs.append((name, proc))
    return proc


def stop_all():
    for name, proc in reversed(started_procs):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for(what, probe, deadline_s=60, every=0.2):
    end = time.time() + deadline_s
    last = None
    while time.time() < end:
        try:
            value = probe()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - report the last one
            last = e
        time.sleep(every)
    raise SystemExit(f"rehearsal: timed out waiting for {what} (last error: {last})")


def http(method, url, body=None, timeout=35, token=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"} if data else {}
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    t0 = time.time()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    ms = (time.time() - t0) * 1000
    try:
        return status, json.loads(text), ms
    except ValueError:
        return status, text, ms


# ── template ──────────────────────────────────────────────────────────────────────────────

def ref_of(value):
    if isinstance(value, dict) and len(value) == 1:
        k, v = next(iter(value.items()))
        if k == "Ref":
            return v
        if k == "Fn::GetAtt":
            return v[0] if isinstance(v, list) else v.split(".")[0]
    return None


def load_template():
    t = yaml_parse(open(os.path.join(ROOT, "template.yaml")).read())
    globals_ = t.get("Globals", {}).get("Function", {})
    functions = {}
    for lid, r in t["Resources"].items():
        if r.get("Type") != "AWS::Serverless::Function":
            continue
        p = r["Properties"]
        env = dict(globals_.get("Environment", {}).get("Variables", {}))
        env.update(p.get("Environment", {}).get("Variables", {}))
        routes, sqs = [], None
        for ev in (p.get("Events") or {}).values():
            if ev["Type"] == "HttpApi":
                routes.append((ev["Properties"]["Method"].upper(), ev["Properties"]["Path"]))
            elif ev["Type"] == "SQS":
                sqs = ev["Properties"]
        functions[lid] = {
            "binary": r["Metadata"]["BuildProperties"]["Binary"],
            "env": env,
            "timeout": p.get("Timeout", globals_.get("Timeout", 3)),
            "memory": p.get("MemorySize", globals_.get("MemorySize", 128)),
            "routes": routes,
            "sqs": sqs,
        }
    return t, functions


def env_for(fn, refs, plain_secrets):
    """The function's environment with the template's references replaced by local values."""
    out = {}
    for name, value in fn["env"].items():
        ref = ref_of(value)
        if name.endswith("_SECRET_ID"):
            var = name[: -len("_SECRET_ID")]
            if plain_secrets:
                out[var] = refs["secret:" + var]
            else:
                out[name] = refs["secretarn:" + var]
        elif ref is not None:
            if ref not in refs:
                raise SystemExit(f"rehearsal: template reference {ref} (in {name}) has no local value")
            out[name] = refs[ref]
        elif isinstance(value, (str, int, float)):
            out[name] = str(value)
        else:
            raise SystemExit(f"rehearsal: cannot resolve {name}={value!r}")
    return out


def bootstrap_zip(binary):
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        z.writestr(info, open(os.path.join(BIN_DIR, binary), "rb").read())
    return buf.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    template, functions = load_template()

    # ── stand-ins: ministack, MongoDB ──
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    ms_env = dict(os.environ, BIND_HOST="127.0.0.1", GATEWAY_PORT=str(port), MINISTACK_HOST="localhost",
                  AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                  AWS_DEFAULT_REGION=REGION, LAMBDA_EXECUTOR="local", LOG_LEVEL="INFO")
    start("ministack", [MINISTACK], env=ms_env)
    def listening():
        import socket

        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    wait_for("ministack", listening, 60)
    figures["ministack_ready_s"] = round(time.time() - t0, 1)
    mongo_uri = os.environ["MONGODB_URI"]

    aws = dict(endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test",
               aws_secret_access_key="test")
    sqs = boto3.client("sqs", **aws)
    lam = boto3.client("lambda", **aws)
    apigw = boto3.client("apigatewayv2", **aws)
    sm = boto3.client("secretsmanager", **aws)
    wait_for("ministack SQS", lambda: sqs.list_queues() is not None, 60)

    # ── queue + DLQ, as the template says ──
    res = template["Resources"]
    q_props = res["EventsQueue"]["Properties"]
    dlq_url = sqs.create_queue(QueueName="events-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName="events", Attributes={
        "VisibilityTimeout": str(q_props["VisibilityTimeout"]),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn,
                                     "maxReceiveCount": q_props["RedrivePolicy"]["maxReceiveCount"]}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    # ── the HTTP API (its id makes the webhook URL the emulator needs) ──
    api = apigw.create_api(Name="dialer-rehearsal", ProtocolType="HTTP")
    api_id = api["ApiId"]
    api_base = f"{endpoint}/_aws/execute-api/{api_id}/$default"
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    # ── the Telnyx emulator, sending webhooks through API Gateway ──
    seed = base64.b64encode(secrets.token_bytes(32)).decode()
    emu_port = free_port()
    emu = start("emulator", [os.path.join(BIN_DIR, "emulator"), "--port", str(emu_port), "--signing-key", seed,
                             "--time-scale", str(TIME_SCALE),
                             "--webhook-url", f"{api_base}/api/webhooks/telnyx"])
    emu_log = os.path.join(OUT, "emulator.log")

    def public_key():
        m = re.search(r"TELNYX_PUBLIC_KEY=(\S+)", open(emu_log).read())
        return m and m.group(1)

    pubkey = wait_for("the emulator", public_key, 60)
    if emu.poll() is not None:
        raise SystemExit("rehearsal: the emulator exited; see target/rehearsal/emulator.log")
    emu_base = f"http://127.0.0.1:{emu_port}"

    # ── secrets: in ministack's Secrets Manager when the binaries read them, else plain env ──
    plain = {"TELNYX_API_KEY": EMULATOR_KEY, "MONGODB_URI": mongo_uri,
             "SESSION_SECRET": secrets.token_hex(32), "ADMIN_PASSWORD": secrets.token_urlsafe(18)}
    reads_secrets = all(b"MONGODB_URI_SECRET_ID" in open(os.path.join(BIN_DIR, f["binary"]), "rb").read()
                        for f in functions.values() if "MONGODB_URI_SECRET_ID" in f["env"])
    refs = {"TelnyxApiBase": f"{emu_base}/v2", "TelnyxConnectionId": CONNECTION_ID,
            "TelnyxPublicKey": pubkey, "MongoDbDatabase": "dialer_rehearsal", "HoldMusicUrl": "",
            # Empty, as a deployment without browser softphones sets it: phone mode only.
            "TelnyxCredentialConnectionId": "",
            "AdminEmail": "admin@example.com", "DefaultCountry": "US", "EventsQueue": queue_url}
    for var, value in plain.items():
        refs["secret:" + var] = value
        refs["secretarn:" + var] = sm.create_secret(Name=f"rehearsal/{var}", SecretString=value)["ARN"]
    figures["secrets"] = "Secrets Manager (ministack)" if reads_secrets else "plain environment (binaries lack aws-secrets)"
    log(f"secrets via {figures['secrets']}")

    # ── functions, integrations, routes, event source mapping ──
    role = "arn:aws:iam::000000000000:role/rehearsal"
    n_routes = 0
    for lid, fn in functions.items():
        env = env_for(fn, refs, plain_secrets=not reads_secrets)
        env.update({"RUST_BACKTRACE": "1"})
        arn = lam.create_function(FunctionName=fn["binary"], Runtime="provided.al2023", Handler="bootstrap",
                                  Role=role, Code={"ZipFile": bootstrap_zip(fn["binary"])},
                                  Timeout=int(fn["timeout"]), MemorySize=int(fn["memory"]),
                                  Architectures=["x86_64"], Environment={"Variables": env})["FunctionArn"]
        if fn["routes"]:
            integ = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn,
                                             PayloadFormatVersion="2.0")["IntegrationId"]
            for method, path in fn["routes"]:
                apigw.create_route(ApiId=api_id, RouteKey=f"{method} {path}", Target=f"integrations/{integ}")
                n_routes += 1
        if fn["sqs"]:
            s = fn["sqs"]
            lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fn["binary"],
                                            BatchSize=int(s["BatchSize"]),
                                            MaximumBatchingWindowInSeconds=int(s.get("MaximumBatchingWindowInSeconds", 0)),
                                            FunctionResponseTypes=s["FunctionResponseTypes"], Enabled=True)
    figures["functions"] = len(functions)
    figures["routes"] = n_routes
    figures["deployed_s"] = round(time.time() - t0, 1)
    log(f"deployed {len(functions)} functions, {n_routes} routes in {figures['deployed_s']} s")

    # ── the call ──
    status, health, ms = http("GET", f"{api_base}/api/health")
    assert status == 200, (status, health)
    figures["health_cold_ms"] = round(ms)

    to_number = "+1 312 555 0101"  # answers after 2 s, the callee hangs up 5 s later
    dial_body = {"to_number": to_number, "from_number": "+1 312 555 0201"}
    status, refused, _ = http("POST", f"{api_base}/api/telnyx/dial", dial_body)
    assert status == 401 and refused.get("code") == "sign_in_required", (status, refused)
    # The first admin, created by the auth function's cold start from AdminEmail and the
    # generated AdminPasswordSecret.
    status, session, ms = http("POST", f"{api_base}/api/auth/sign-in",
                               {"email": refs["AdminEmail"], "password": plain["ADMIN_PASSWORD"]})
    assert status == 200, f"sign-in answered {status}: {session}"
    figures["sign_in_cold_ms"] = round(ms)
    token = session["token"]
    log(f"signed in as {session['user']['email']} ({session['user']['role']}, {round(ms)} ms, cold)")
    status, call, ms = http("POST", f"{api_base}/api/telnyx/dial", dial_body, token=token)
    assert status == 201, f"dial answered {status}: {call}"
    figures["dial_cold_ms"] = round(ms)
    call_id = call["call_id"]
    log(f"dialed {call_id} ({round(ms)} ms, cold)")

    seen, poll_ms = [], []

    def ended():
        st, body, ms = http("GET", f"{api_base}/api/call-status/status/{call_id}", token=token)
        assert st == 200, (st, body)
        poll_ms.append(ms)
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        return body if body["status"] == "ended" else None

    final = wait_for("the call to end", ended, 60 + 10 * TIME_SCALE, every=0.25)
    figures["statuses_seen"] = seen
    figures["outcome"] = final["outcome"]
    figures["duration_s"] = final["duration"]
    figures["hangup_cause"] = final.get("hangup_cause")
    warm = sorted(poll_ms[1:]) or poll_ms
    figures["status_polls"] = len(poll_ms)
    figures["status_warm_median_ms"] = round(warm[len(warm) // 2], 1)
    log(f"call ended: {final['outcome']}, {final['duration']} s, statuses {seen}")

    # Every webhook the emulator sent was answered 2xx by API Gateway -> webhook Lambda.
    with urllib.request.urlopen(f"{emu_base}/emulator/deliveries", timeout=5) as r:
        deliveries = json.loads(r.read())
    items = deliveries if isinstance(deliveries, list) else deliveries.get("deliveries", deliveries.get("data", []))
    figures["webhook_attempts"] = len(items)
    figures["webhooks_delivered"] = sum(1 for d in items if d.get("delivered"))
    figures["webhook_statuses"] = sorted({str(d.get("status", d.get("error"))) for d in items})

    # Nothing dead-lettered, nothing left in flight.
    time.sleep(1)
    attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    figures["dlq_messages"] = int(attrs["ApproximateNumberOfMessages"])

    assert final["outcome"] == "completed", final
    expected = 5 * TIME_SCALE
    assert final["duration"] is not None and abs(final["duration"] - expected) <= 1.5, final
    assert "active" in seen, seen
    assert figures["dlq_messages"] == 0, figures
    assert figures["webhooks_delivered"] >= 3, figures
    figures["total_s"] = round(time.time() - t0, 1)
    figures["passed"] = True


if __name__ == "__main__":
    rc = 0
    try:
        main()
    except (AssertionError, SystemExit, Exception) as e:  # noqa: BLE001 - record any failure
        figures["passed"] = False
        figures["error"] = f"{type(e).__name__}: {e}"
        log(f"FAILED: {figures['error']}")
        rc = 1
    finally:
        stop_all()
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "result.json"), "w") as f:
            json.dump(figures, f, indent=1)
        print(json.dumps(figures, indent=1))
    sys.exit(rc)
