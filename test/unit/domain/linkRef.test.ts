import { linkWorkerInstanceId } from "../../../shared/domain/linkRef";

describe("linkWorkerInstanceId", () => {
  it("is stable for the same link", () => {
    const link = { workspace: "demo", linkConnection: "demo-link" };
    expect(linkWorkerInstanceId(link)).toBe(linkWorkerInstanceId({ ...link }));
    expect(linkWorkerInstanceId(link)).toMatch(/^linkWorker-demo-demo-link-[0-9a-f]{12}$/);
  });

  it("contains no character durable instance ids forbid, even for odd link names", () => {
    const id = linkWorkerInstanceId({
      workspace: "demo",
      linkConnection: "a/b#c?d\\e\u0001" + "x".repeat(200),
    });
    // eslint-disable-next-line no-control-regex -- the point is to look for control characters
    expect(id).not.toMatch(/[/\\#?\u0000-\u001f]/);
    expect(id.length).toBeLessThanOrEqual(100);
  });

  it("keeps links apart that only differ in characters the readable part replaces", () => {
    expect(linkWorkerInstanceId({ workspace: "w", linkConnection: "a/b" })).not.toBe(
      linkWorkerInstanceId({ workspace: "w", linkConnection: "a#b" }),
    );
  });

  it("gives one worker to one link whatever the spelling, as Synapse compares names without case", () => {
    expect(linkWorkerInstanceId({ workspace: "DEMO", linkConnection: "DEMO-LINK" })).toBe(
      linkWorkerInstanceId({ workspace: "demo", linkConnection: "demo-link" }),
    );
  });
});
