import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import {
  ThrottleBudgetExceeded,
  throttleBudgetPolicy,
  withCallBudget,
} from "../../../shared/synapse/throttleBudget";

function response(
  request: PipelineRequest,
  status: number,
  headers: Record<string, string>,
  body?: string,
): PipelineResponse {
  return {
    request,
    status,
    headers: createHttpHeaders(headers),
    ...(body !== undefined ? { bodyAsText: body } : {}),
  };
}

/** A clock the test moves by hand, so no test waits. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("throttleBudgetPolicy", () => {
  it("passes a 429 whose wait fits the budget on to the SDK's retry", async () => {
    const clock = fakeClock();
    const policy = throttleBudgetPolicy(60_000, clock.now);
    const request = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/x" });
    const result = await policy.sendRequest(request, (r) =>
      Promise.resolve(response(r, 429, { "retry-after": "30" })),
    );
    expect(result.status).toBe(429);
  });

  it("ends the call when one wait would exceed the budget, with the service's wait and text", async () => {
    const clock = fakeClock();
    const policy = throttleBudgetPolicy(60_000, clock.now);
    const request = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/x" });
    const error = await policy
      .sendRequest(request, (r) =>
        Promise.resolve(
          response(r, 429, { "retry-after": "2131" }, '{"code":"TooManyRequests","message":"slow down"}'),
        ),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottleBudgetExceeded);
    expect(error).toMatchObject({
      statusCode: 429,
      retryAfterSeconds: 2131,
      service: { code: "TooManyRequests", message: "slow down" },
    });
  });

  it("counts the time already spent in the call: a wait that fits alone does not fit after earlier ones", async () => {
    const clock = fakeClock();
    const policy = throttleBudgetPolicy(60_000, clock.now);
    await withCallBudget(async () => {
      const first = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/page1" });
      await policy.sendRequest(first, (r) => Promise.resolve(response(r, 200, {})));
      clock.advance(45_000); // earlier retries and pages of the same call
      const second = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/page2" });
      await expect(
        policy.sendRequest(second, (r) => Promise.resolve(response(r, 503, { "retry-after": "20" }))),
      ).rejects.toBeInstanceOf(ThrottleBudgetExceeded);
    }, clock.now);
  });

  it("gives each call its own budget", async () => {
    const clock = fakeClock();
    const policy = throttleBudgetPolicy(60_000, clock.now);
    await withCallBudget(() => Promise.resolve(), clock.now);
    clock.advance(45_000);
    await withCallBudget(async () => {
      const request = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/x" });
      const result = await policy.sendRequest(request, (r) =>
        Promise.resolve(response(r, 429, { "retry-after": "20" })),
      );
      expect(result.status).toBe(429);
    }, clock.now);
  });

  it("leaves other responses alone", async () => {
    const policy = throttleBudgetPolicy(1);
    const request = createPipelineRequest({ url: "https://ws.dev.azuresynapse.net/x" });
    const result = await policy.sendRequest(request, (r) =>
      Promise.resolve(response(r, 500, { "retry-after": "999" })),
    );
    expect(result.status).toBe(500);
  });
});
