#!/usr/bin/env python3
"""Queue chores for the local SQS stand-in (moto), with boto3 from the stand-ins' venv.

    .venv/bin/python scripts/sqs-tool.py create NAME [--max-receives 5] [--visibility 30]
        creates NAME and NAME-dlq with a redrive policy; prints "QUEUE_URL DLQ_URL"
    .venv/bin/python scripts/sqs-tool.py inspect DLQ_URL
        lists the dead letters (event id and type, receive count, first sent) and leaves them there
    .venv/bin/python scripts/sqs-tool.py redrive DLQ_URL QUEUE_URL
        moves every dead letter back to QUEUE_URL, byte for byte

moto 5.2 does not implement StartMessageMoveTask, so `redrive` copies each message (send, then
delete from the DLQ). Against real AWS use `aws sqs start-message-move-task` instead (README,
"Operating the event pipeline"). The endpoint comes from AWS_ENDPOINT_URL_SQS like the app's.
"""

import argparse
import json
import os
import sys

import boto3


def client():
    return boto3.client(
        "sqs",
        endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SQS") or None,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def create(sqs, args):
    dlq = sqs.create_queue(
        QueueName=f"{args.name}-dlq",
        Attributes={"MessageRetentionPeriod": "1209600"},
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = {"deadLetterTargetArn": arn, "maxReceiveCount": str(args.max_receives)}
    queue = sqs.create_queue(
        QueueName=args.name,
        Attributes={
            "RedrivePolicy": json.dumps(policy),
            "VisibilityTimeout": str(args.visibility),
        },
    )["QueueUrl"]
    print(queue, dlq)


def describe(body):
    """The Telnyx event inside a queued message, or why there is none."""
    try:
        queued = json.loads(body)
        data = json.loads(queued["body"])["data"]
        return f'{data.get("event_type")} {data.get("id")}'
    except (ValueError, KeyError, TypeError) as e:
        return f"not a queued Telnyx event ({type(e).__name__}): {body[:80]!r}"


def drain(sqs, url):
    """Receives every message once; they stay hidden for 30 s (visibility) unless deleted."""
    seen = {}
    while True:
        got = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=30,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        fresh = [m for m in got if m["MessageId"] not in seen]
        if not fresh:
            return list(seen.values())
        for m in fresh:
            seen[m["MessageId"]] = m


def inspect(sqs, args):
    messages = drain(sqs, args.dlq_url)
    for m in messages:
        a = m.get("Attributes", {})
        print(
            m["MessageId"],
            f'receives={a.get("ApproximateReceiveCount")}',
            f'first_sent_ms={a.get("SentTimestamp")}',
            describe(m["Body"]),
        )
        # Give it back at once: inspecting must not hide dead letters from the next look.
        sqs.change_message_visibility(
            QueueUrl=args.dlq_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )
    print(f"{len(messages)} dead letter(s)", file=sys.stderr)


def redrive(sqs, args):
    moved = 0
    for m in drain(sqs, args.dlq_url):
        # Send first, delete second: a crash in between duplicates (harmless: the processor
        # is idempotent) instead of losing.
        sqs.send_message(QueueUrl=args.queue_url, MessageBody=m["Body"])
        sqs.delete_message(QueueUrl=args.dlq_url, ReceiptHandle=m["ReceiptHandle"])
        moved += 1
    print(f"moved {moved} message(s) back to {args.queue_url}", file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("name")
    c.add_argument("--max-receives", type=int, default=5)
    c.add_argument("--visibility", type=int, default=30)
    i = sub.add_parser("inspect")
    i.add_argument("dlq_url")
    r = sub.add_parser("redrive")
    r.add_argument("dlq_url")
    r.add_argument("queue_url")
    args = p.parse_args()
    {"create": create, "inspect": inspect, "redrive": redrive}[args.cmd](client(), args)


if __name__ == "__main__":
    main()
