import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";

export interface SentRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * An HttpClient that records what the SDK pipelines send and answers by URL, so the publishers'
 * pipelines (auth, signing, retries) run for real without a network.
 */
export function fakeHttpClient(answer: (request: SentRequest) => number | Error = () => 200) {
  const sent: SentRequest[] = [];
  const client: HttpClient = {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const recorded: SentRequest = {
        url: request.url,
        method: request.method,
        headers: request.headers.toJSON(),
        body: typeof request.body === "string" ? request.body : "",
      };
      sent.push(recorded);
      const status = answer(recorded);
      if (status instanceof Error) return Promise.reject(status);
      return Promise.resolve({ status, headers: createHttpHeaders(), request });
    },
  };
  return { client, sent };
}
