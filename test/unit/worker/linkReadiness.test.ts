import type { LinkStatus } from "../../../shared/synapse/serviceStrings";
import { linkReadiness, type Readiness } from "../../../shared/worker/linkReadiness";
import { link } from "./workerTestKit";

const refuse = (pattern: RegExp) => ({
  kind: "refuse",
  reason: expect.stringMatching(pattern) as unknown as string,
});

describe("linkReadiness", () => {
  const rows: [LinkStatus, boolean | undefined, boolean, Readiness | ReturnType<typeof refuse>][] = [
    ["Running", undefined, false, { kind: "ready" }],
    ["Running", false, false, { kind: "ready" }],
    ["Running", true, false, { kind: "wait", reason: "the link is applying another change" }],
    ["Starting", undefined, false, { kind: "wait", reason: "link is Starting" }],
    ["Resuming", undefined, false, { kind: "wait", reason: "link is Resuming" }],
    ["Stopped", undefined, true, { kind: "wait", reason: "starting the link", act: "start" }],
    ["Initial", undefined, true, { kind: "wait", reason: "starting the link", act: "start" }],
    ["Paused", undefined, true, { kind: "wait", reason: "resuming the link", act: "resume" }],
    ["Stopping", undefined, true, { kind: "wait", reason: "waiting for Stopping" }],
    ["Stopped", undefined, false, refuse(/demo\/demo-link is Stopped.*AUTO_START_LINKS=true/)],
    ["Paused", undefined, false, refuse(/is Paused.*\(resume\)/)],
    ["Stopping", undefined, false, refuse(/is Stopping/)],
    ["Unknown", undefined, true, refuse(/is Unknown/)],
  ];
  it.each(rows)("%s (isApplyingChanges %s, AUTO_START_LINKS %s)", (status, applying, auto, expected) => {
    const detailed = {
      status,
      rawStatus: status,
      ...(applying === undefined ? {} : { isApplyingChanges: applying }),
    };
    expect(linkReadiness(link, detailed, { autoStartLinks: auto })).toEqual(expected);
  });
});
