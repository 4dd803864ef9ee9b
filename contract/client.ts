/**
 * A small JobPath client on the types generated from openapi/openapi.json (openapi-typescript)
 * and openapi-fetch. It is not shipped: `tsc --strict --noEmit` checks it in
 * ../scripts/contract-check, so a change to the document that would break a client team's code
 * (a renamed field, a header no longer declared, a status no longer documented) fails there.
 */
import createClient from "openapi-fetch";

import type { components, paths } from "./generated/openapi";

type Schemas = components["schemas"];
export type Client = ReturnType<typeof createClient<paths>>;

export function connect(baseUrl: string, accessToken?: string): Client {
  const headers: Record<string, string> = accessToken
    ? { Authorization: `Bearer ${accessToken}` }
    : {};
  return createClient<paths>({ baseUrl, headers });
}

/** Sign in (OAuth2 password form, sent as application/x-www-form-urlencoded). */
export async function signIn(
  baseUrl: string,
  username: string,
  password: string,
): Promise<Client> {
  const { data, error, response } = await connect(baseUrl).POST("/api/v1/auth/token", {
    body: { username, password },
    bodySerializer: (body) => new URLSearchParams({ username: body.username, password: body.password }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (response.status === 429) {
    const wait = Number(response.headers.get("Retry-After") ?? "1");
    throw new Error(`signed-in too often; retry in ${wait} s`);
  }
  if (error) throw new Error(`${error.code}: ${error.detail}`);
  return connect(baseUrl, data.access_token);
}

/** Every worker matching a filter, page after page (`next_cursor` until it is null). */
export async function allWorkers(
  client: Client,
  region: string,
): Promise<Schemas["WorkerSummary"][]> {
  const page = async (cursor: string | null) => {
    const { data, error } = await client.GET("/api/v1/workers", {
      params: { query: { region, limit: 200, cursor } },
    });
    if (error) throw new Error(`${error.code}: ${error.detail}`);
    return data;
  };
  let data = await page(null);
  const workers = [...data.items];
  while (data.next_cursor !== null) {
    data = await page(data.next_cursor);
    workers.push(...data.items);
  }
  return workers;
}

/** Offline sync: the households changed since the last pass, and the token for the next one. */
export async function syncHouseholds(
  client: Client,
  since: string | null,
): Promise<{ changed: Schemas["HouseholdSummary"][]; next: string | null }> {
  const page = async (cursor: string | null) => {
    const { data, error } = await client.GET("/api/v1/households", {
      params: { query: { updated_since: since, cursor } },
    });
    if (error) throw new Error(`${error.code}: ${error.detail}`);
    return data;
  };
  let data = await page(null);
  const changed = [...data.items];
  while (data.next_cursor !== null) {
    data = await page(data.next_cursor);
    changed.push(...data.items);
  }
  // The last page's token: the next pass asks for what changed after this one.
  const next = data.sync_token ?? since;
  return { changed, next };
}

/** Register a worker; a retry after a lost answer reuses `key` and gets the same answer. */
export async function createWorker(
  client: Client,
  worker: Schemas["WorkerCreate"],
  key: string,
): Promise<{ worker: Schemas["WorkerRead"]; etag: string; replayed: boolean }> {
  const { data, error, response } = await client.POST("/api/v1/workers", {
    body: worker,
    params: { header: { "Idempotency-Key": key } },
  });
  if (error) throw new Error(`${error.code}: ${error.detail}`);
  return {
    worker: data,
    etag: response.headers.get("ETag") ?? `"${data.version}"`,
    replayed: response.headers.get("Idempotent-Replayed") === "true",
  };
}

export type Edit =
  | { outcome: "saved"; worker: Schemas["WorkerRead"]; etag: string }
  | { outcome: "changed-meanwhile"; problem: Schemas["Problem"] };

/** Edit a worker read at `etag`; if someone changed it since, nothing is overwritten (412). */
export async function updateWorker(
  client: Client,
  workerId: number,
  etag: string,
  changes: Schemas["WorkerUpdate"],
): Promise<Edit> {
  const { data, error, response } = await client.PATCH("/api/v1/workers/{worker_id}", {
    params: { path: { worker_id: workerId }, header: { "If-Match": etag } },
    body: changes,
  });
  if (response.status === 412 && error) {
    return { outcome: "changed-meanwhile", problem: error };
  }
  if (error) throw new Error(`${error.code}: ${error.detail}`);
  return { outcome: "saved", worker: data, etag: response.headers.get("ETag") ?? etag };
}
