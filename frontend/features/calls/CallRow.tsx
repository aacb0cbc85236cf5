import Link from "next/link";
import { badgeText, formatDuration, formatWhen, outcomeTone } from "@/lib/format";
import { displayNumber } from "@/lib/phone";
import type { CallView } from "@/lib/types";
import { MissedIcon, OutgoingIcon, PhoneIcon } from "@/ui/icons";
import { Badge, focusRing } from "@/ui/primitives";

function DirectionIcon({ call }: { call: CallView }) {
  const missed = call.status === "ended" && call.outcome !== "completed";
  const failed = call.outcome === "failed";
  return (
    <span
      className={`flex size-9 shrink-0 items-center justify-center rounded-full ${
        failed
          ? "bg-rose-50 text-rose-600"
          : missed
            ? "bg-amber-50 text-amber-700"
            : "bg-indigo-50 text-indigo-600"
      }`}
      title={call.direction === "inbound" ? "Incoming call" : "Outgoing call"}
    >
      {missed ? <MissedIcon size={16} /> : <OutgoingIcon size={16} />}
      <span className="sr-only">{call.direction === "inbound" ? "Incoming" : "Outgoing"}</span>
    </span>
  );
}

export function CallRow({
  call,
  onCallAgain,
  agent,
}: {
  call: CallView;
  onCallAgain?: (number: string) => void;
  /** Who placed the call, in words (admins' call logs). */
  agent?: string;
}) {
  const number = displayNumber(call.to_number);
  const title = call.contact?.name ?? number;
  return (
    <li className="flex items-center gap-2 px-2 py-1 sm:px-3">
      <Link
        href={
          call.status === "ended"
            ? `/calls/?id=${encodeURIComponent(call.call_id)}`
            : `/call/?id=${encodeURIComponent(call.call_id)}`
        }
        className={`flex min-w-0 flex-1 items-center gap-3 rounded-lg px-2 py-2 hover:bg-slate-50 ${focusRing}`}
        data-testid="call-row"
      >
        <DirectionIcon call={call} />
        <span className="min-w-0 flex-1">
          <span className="block truncate text-sm font-medium text-slate-900">{title}</span>
          <span className="block truncate text-xs text-slate-500">
            {call.contact ? `${number} · ` : ""}
            {formatWhen(call.started_at)}
            {agent ? <span data-testid="call-agent"> · {agent}</span> : null}
          </span>
        </span>
        <span className="flex shrink-0 flex-col items-end gap-1">
          <Badge tone={outcomeTone(call)}>{badgeText(call)}</Badge>
          {call.answered_at ? (
            <span className="text-xs text-slate-500 tabular-nums">
              {formatDuration(call.duration)}
            </span>
          ) : null}
        </span>
      </Link>
      {onCallAgain ? (
        <button
          type="button"
          onClick={() => onCallAgain(call.to_number)}
          aria-label={`Call ${title} again`}
          className={`flex size-9 shrink-0 items-center justify-center rounded-full text-emerald-700 hover:bg-emerald-50 ${focusRing}`}
        >
          <PhoneIcon size={16} />
        </button>
      ) : null}
    </li>
  );
}
