/**
 * A phone team's first flows through client.ts, run against the real server by
 * tests/contract/test_typescript_client.py (compiled by ../scripts/contract-check with
 * tsconfig.flow.json):  node generated/flow/flow.js BASE_URL PASSWORD
 * Each step throws on what a client team relies on; the last line printed is `flows: ok`.
 */
import {
  allWorkers,
  createWorker,
  signIn,
  syncHouseholds,
  updateWorker,
} from "./client";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`failed: ${what}`);
}

async function main(baseUrl: string, password: string): Promise<void> {
  const client = await signIn(baseUrl, "caseworker", password);
  const { data: me } = await client.GET("/api/v1/auth/me");
  check(me?.username === "caseworker", "signed in as the caseworker");
  console.log("signed in");

  const workers = await allWorkers(client, "340406107");
  check(workers.length > 0, "the caseworker's workers listed");
  check(new Set(workers.map((w) => w.id)).size === workers.length, "no worker twice");
  console.log(`listed ${workers.length} workers`);

  const first = await syncHouseholds(client, "1970-01-01T00:00:00Z");
  check(first.changed.length > 0 && first.next !== null, "a first sync gives every household");
  const again = await syncHouseholds(client, first.next);
  check(again.changed.length === 0, "a second sync gives nothing new");
  console.log("synced");

  const { data: households } = await client.GET("/api/v1/households", {
    params: { query: { limit: 1 } },
  });
  const household = households?.items[0];
  check(household !== undefined, "a household to register a worker in");
  const worker = {
    household_id: household!.id,
    full_name: "测试客户端",
    id_number: "340406199203040010",
    region_code: household!.region_code,
  };
  const key = crypto.randomUUID();
  const made = await createWorker(client, worker, key);
  const retried = await createWorker(client, worker, key);
  check(!made.replayed && retried.replayed, "the retry is replayed");
  check(retried.worker.id === made.worker.id, "the retry is the same worker");
  console.log("created once");

  const saved = await updateWorker(client, made.worker.id, made.etag, { notes: "第一次" });
  check(saved.outcome === "saved", "an edit with the current ETag is saved");
  const stale = await updateWorker(client, made.worker.id, made.etag, { notes: "第二次" });
  check(stale.outcome === "changed-meanwhile", "an edit with an old ETag is a 412");
  if (stale.outcome === "changed-meanwhile") {
    check(stale.problem.code === "version_mismatch", "the 412's code");
  }
  console.log("412 read as changed-meanwhile");
  console.log("flows: ok");
}

const [baseUrl, password] = process.argv.slice(2);
main(baseUrl ?? "", password ?? "").catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
