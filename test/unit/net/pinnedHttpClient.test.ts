import { createPipelineRequest, type HttpClient } from "@azure/core-rest-pipeline";
import { CallbackTargetPolicy, EMPTY_ALLOW_LIST } from "../../../shared/net/addressPolicy";
import { createPinnedHttpClient } from "../../../shared/net/pinnedHttpClient";

const neverAnswers = () => new Promise<never>(() => undefined);
const unused: HttpClient = { sendRequest: () => Promise.reject(new Error("not reached")) };

describe("createPinnedHttpClient", () => {
  it("gives up a name lookup that does not answer within the request's timeout", async () => {
    const client = createPinnedHttpClient(new CallbackTargetPolicy(EMPTY_ALLOW_LIST), neverAnswers, unused);
    const request = createPipelineRequest({ url: "https://receiver.example/hook", timeout: 50 });
    await expect(client.sendRequest(request)).rejects.toMatchObject({
      code: "ETIMEDOUT",
      message: expect.stringMatching(/cannot resolve receiver\.example: no answer within 50 ms/),
    });
  });

  it("gives up a name lookup when the request is aborted (the delivery's total deadline)", async () => {
    const client = createPinnedHttpClient(new CallbackTargetPolicy(EMPTY_ALLOW_LIST), neverAnswers, unused);
    const controller = new AbortController();
    const request = createPipelineRequest({
      url: "https://receiver.example/hook",
      abortSignal: controller.signal,
    });
    const sent = client.sendRequest(request);
    controller.abort();
    await expect(sent).rejects.toMatchObject({ name: "AbortError" });
  });
});
