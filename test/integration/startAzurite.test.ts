// The Azurite launcher the tests and `npm start` use: a port found free can be taken by another
// process (a parallel test file) before Azurite binds it.
import { createServer, type Server } from "node:net";
import { startAzurite } from "../../dev/azurite/startAzurite";
import { freePort } from "../../dev/azurite/freePort";

function occupy(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, "127.0.0.1", () => {
      resolve(server);
    });
  });
}

describe("startAzurite", () => {
  it("starts again on other ports when a port it picked was taken before Azurite bound it", async () => {
    const taken = await freePort();
    const server = await occupy(taken);
    let picks = 0;
    try {
      const azurite = await startAzurite({
        pickPort: () => (++picks === 1 ? Promise.resolve(taken) : freePort()),
      });
      try {
        expect(picks).toBe(6);
        expect([azurite.blobPort, azurite.queuePort, azurite.tablePort]).not.toContain(taken);
      } finally {
        await azurite.stop();
      }
    } finally {
      server.close();
    }
  });

  it("gives up at once when the caller chose a port that is taken", async () => {
    const taken = await freePort();
    const server = await occupy(taken);
    try {
      await expect(startAzurite({ blobPort: taken })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      server.close();
    }
  });
});
