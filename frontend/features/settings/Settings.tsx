"use client";

import useSWR from "swr";
import { api, errorMessage } from "@/lib/api";
import type { SettingsView } from "@/lib/types";
import { AdminOnlyNotice, useIsAdmin } from "@/features/admin/Admin";
import { Card, CardHeader, ErrorState, PageHeader, Spinner } from "@/ui/primitives";
import { TelnyxCard } from "./cards/TelnyxCard";
import { CallingCard } from "./cards/CallingCard";
import { RecordingCard } from "./cards/RecordingCard";
import { DialPolicyCard } from "./cards/DialPolicyCard";
import { WebhookCard } from "./cards/WebhookCard";
import { NumbersCard } from "./cards/NumbersCard";
import { CostCard } from "./cards/CostCard";

export function Settings() {
  const admin = useIsAdmin();
  if (!admin) {
    return (
      <div className="mx-auto max-w-3xl space-y-5">
        <AdminOnlyNotice title="Settings" description={DESCRIPTION}>
          Your account can place calls with the team&apos;s numbers, keep contacts and see call logs
          and statistics. An administrator changes the Telnyx account, numbers, recording, webhooks
          and the dial policy below.
        </AdminOnlyNotice>
        <AgentDialPolicy />
      </div>
    );
  }
  return <AdminSettings />;
}

const DESCRIPTION = "Telnyx connection, numbers, dial policy, recording and webhooks.";

/** What an agent may call, read-only: it explains the dialer's refusals. */
function AgentDialPolicy() {
  const settings = useSWR("settings", api.settings, { shouldRetryOnError: false });
  const numbers = useSWR("numbers", api.numbers, { shouldRetryOnError: false });
  const policy = settings.data?.dial_policy;
  if (policy) return <DialPolicyCard policy={policy} numbers={numbers} readOnly />;
  return (
    <Card>
      <CardHeader title="Dial policy" />
      <div className="px-5 py-4">
        {settings.error ? (
          <p className="text-sm text-slate-600">
            The dial policy is not available: {errorMessage(settings.error)}
          </p>
        ) : settings.data ? (
          <p className="text-sm text-slate-600">This server has no adjustable dial policy.</p>
        ) : (
          <Spinner label="Loading the dial policy" />
        )}
      </div>
    </Card>
  );
}

function AdminSettings() {
  const { data, error, isLoading, mutate } = useSWR("settings", api.settings);
  const numbers = useSWR("numbers", api.numbers, { shouldRetryOnError: false });
  // Re-mount the forms when the server's copy changes so they show what was saved.
  const version = data ? JSON.stringify(data) : "";
  const onSaved = (s: SettingsView) => void mutate(s, { revalidate: false });

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Settings" description={DESCRIPTION} />
      {isLoading && !data ? (
        <Card>
          <div className="flex justify-center px-6 py-16">
            <Spinner label="Loading settings" />
          </div>
        </Card>
      ) : error && !data ? (
        <Card>
          <ErrorState
            title="Could not load settings"
            message={errorMessage(error)}
            onRetry={() => void mutate()}
          />
        </Card>
      ) : data ? (
        <div className="space-y-5" key={version}>
          <TelnyxCard settings={data} onSaved={onSaved} />
          <CallingCard
            settings={data}
            onSaved={onSaved}
            owned={(numbers.data?.items ?? []).map((n) => n.phone_number)}
          />
          {data.dial_policy ? (
            <DialPolicyCard policy={data.dial_policy} numbers={numbers} onSaved={onSaved} />
          ) : null}
          <NumbersCard defaultCaller={data.default_caller_id} />
          <RecordingCard settings={data} onSaved={onSaved} />
          <WebhookCard settings={data} />
          <CostCard />
        </div>
      ) : null}
    </div>
  );
}
