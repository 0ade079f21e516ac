import { runWithLogger, scopedLogger, type Logger } from "../../shared/logger";

function recording(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

describe("scopedLogger", () => {
  it("writes to the logger of the invocation in progress, across awaits, and keeps concurrent invocations apart", async () => {
    const first = recording();
    const second = recording();
    await Promise.all([
      runWithLogger(first, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        scopedLogger.warn("from the first");
      }),
      runWithLogger(second, async () => {
        scopedLogger.error("from the second");
        return Promise.resolve();
      }),
    ]);
    expect(first.lines).toEqual(["warn from the first"]);
    expect(second.lines).toEqual(["error from the second"]);
  });

  it("falls back to the console outside an invocation", () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      scopedLogger.warn("no invocation");
      expect(warn).toHaveBeenCalledWith("no invocation");
    } finally {
      warn.mockRestore();
    }
  });
});
