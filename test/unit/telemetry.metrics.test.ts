import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from "@opentelemetry/sdk-metrics";
import { noOutcomePublisher, type OutcomePublisher } from "../../shared/outcomes/outcomePublisher";
import { registerHealthGauges } from "../../shared/telemetry/healthGauges";
import { observedOutcomePublisher } from "../../shared/telemetry/observedOutcomePublisher";
import { METRIC, openTelemetryPipelineMetrics } from "../../shared/telemetry/pipelineMetrics";
import { InMemoryLedger } from "../support/inMemoryLedger";
import { loggerInto } from "../support/loggerInto";
import { link, NOW, request } from "./worker/workerTestKit";

/** A real OpenTelemetry SDK meter provider whose exports stay in memory. */
function meterUnderTest() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter("test");
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
  };
  return { meter, collect, shutdown: () => provider.shutdown() };
}

function points(all: MetricData[], name: string) {
  const metric = all.find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => ({ attributes: p.attributes, value: p.value }));
}

const dboOrders = { schema: "dbo", name: "Orders" };
const TEN_MINUTES_LATER = new Date(Date.parse(NOW) + 600_000);

describe("observedOutcomePublisher", () => {
  it("counts a table onboarded and times it from its oldest request, once the outcome was published", async () => {
    const m = meterUnderTest();
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(request("r1", ["dbo.Orders"]), NOW);
    const lines: string[] = [];
    const publisher = observedOutcomePublisher(noOutcomePublisher, {
      metrics: openTelemetryPipelineMetrics(m.meter),
      ledger,
      logger: loggerInto(lines),
      now: () => TEN_MINUTES_LATER,
    });
    await publisher.tableReplicating({ ...link, table: dboOrders, requestIds: ["r1"] });

    const all = await m.collect();
    expect(points(all, METRIC.tablesOnboarded)).toEqual([{ attributes: link, value: 1 }]);
    const [latency] = points(all, METRIC.requestToReplicating);
    expect(latency?.value).toMatchObject({ count: 1, sum: 600 });
    expect(lines).toEqual(["table dbo.Orders Replicating in demo/demo-link 600 s after its request"]);
    await m.shutdown();
  });

  it("counts failures by error code and the remediation attempts the failure reports", async () => {
    const m = meterUnderTest();
    const publisher = observedOutcomePublisher(noOutcomePublisher, {
      metrics: openTelemetryPipelineMetrics(m.meter),
      ledger: new InMemoryLedger(),
      logger: loggerInto([]),
      now: () => TEN_MINUTES_LATER,
    });
    const failed = (error: string) =>
      publisher.tableFailed({ ...link, table: dboOrders, requestIds: ["r1"], error });
    await failed("Table dbo.Orders has no primary key");
    await failed(
      "dbo.Orders did not reach Replicating within 60 minutes (after 2 remove-and-re-add attempts)",
    );
    await failed("Table dbo.Orders has no primary key");

    const all = await m.collect();
    expect(points(all, METRIC.tablesFailed)).toEqual(
      expect.arrayContaining([
        { attributes: { ...link, "error.code": "NoPrimaryKey" }, value: 2 },
        { attributes: { ...link, "error.code": "Deadline" }, value: 1 },
      ]),
    );
    expect(points(all, METRIC.remediationAttempts)).toEqual([
      { attributes: { ...link, outcome: "Failed" }, value: 2 },
    ]);
    await m.shutdown();
  });

  it("records nothing when publishing failed, so the retried activity does not count the table twice", async () => {
    const m = meterUnderTest();
    const failing: OutcomePublisher = {
      ...noOutcomePublisher,
      tableReplicating: () => Promise.reject(new Error("topic unreachable")),
    };
    const publisher = observedOutcomePublisher(failing, {
      metrics: openTelemetryPipelineMetrics(m.meter),
      ledger: new InMemoryLedger(),
      logger: loggerInto([]),
      now: () => TEN_MINUTES_LATER,
    });
    await expect(publisher.tableReplicating({ ...link, table: dboOrders, requestIds: [] })).rejects.toThrow(
      "topic unreachable",
    );
    expect(points(await m.collect(), METRIC.tablesOnboarded)).toEqual([]);
    await m.shutdown();
  });
});

describe("registerHealthGauges", () => {
  it("reports an open breaker, a worker in back-off and the age of the oldest open request from the ledger", async () => {
    const m = meterUnderTest();
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(request("r1", ["dbo.Orders"]), NOW);
    await ledger.saveBreaker("demo", {
      failures: 5,
      openUntil: new Date(TEN_MINUTES_LATER.getTime() + 60_000).toISOString(),
      updatedAt: NOW,
    });
    await ledger.saveWorkerHealth(link, {
      fault: "HTTP 503",
      consecutiveFaults: 3,
      retryAt: new Date(TEN_MINUTES_LATER.getTime() + 30_000).toISOString(),
      updatedAt: NOW,
    });
    registerHealthGauges(
      { ledger, workspaces: ["demo", "other"], logger: loggerInto([]), now: () => TEN_MINUTES_LATER },
      m.meter,
    );

    const all = await m.collect();
    expect(points(all, METRIC.breakerOpen)).toEqual([
      { attributes: { workspace: "demo" }, value: 1 },
      { attributes: { workspace: "other" }, value: 0 },
    ]);
    expect(points(all, METRIC.workerBackoff)).toEqual([{ attributes: link, value: 1 }]);
    expect(points(all, METRIC.oldestOpenRequestAge)).toEqual([{ attributes: link, value: 600 }]);
    await m.shutdown();
  });

  it("ages a claimed request as well as a queued one, by when each was recorded", async () => {
    const m = meterUnderTest();
    const ledger = new InMemoryLedger();
    const earlier = new Date(Date.parse(NOW) - 20 * 60_000).toISOString();
    await ledger.recordRequest(request("claimed", ["dbo.Orders"]), earlier);
    await ledger.claimRequests(link, [], ["claimed"], NOW);
    await ledger.recordRequest(request("queued", ["dbo.Customers"]), NOW);
    registerHealthGauges(
      { ledger, workspaces: ["demo"], logger: loggerInto([]), now: () => TEN_MINUTES_LATER },
      m.meter,
    );
    const all = await m.collect();
    expect(points(all, METRIC.oldestOpenRequestAge)).toEqual([{ attributes: link, value: 1800 }]);
    await m.shutdown();
  });

  it("reports the breaker closed and no back-off once the worker recovered", async () => {
    const m = meterUnderTest();
    const ledger = new InMemoryLedger();
    await ledger.recordRequest(request("r1", ["dbo.Orders"]), NOW);
    await ledger.saveWorkerHealth(link, { consecutiveFaults: 0, updatedAt: NOW });
    registerHealthGauges(
      { ledger, workspaces: ["demo"], logger: loggerInto([]), now: () => TEN_MINUTES_LATER },
      m.meter,
    );

    const all = await m.collect();
    expect(points(all, METRIC.breakerOpen)).toEqual([{ attributes: { workspace: "demo" }, value: 0 }]);
    expect(points(all, METRIC.workerBackoff)).toEqual([{ attributes: link, value: 0 }]);
    await m.shutdown();
  });
});
