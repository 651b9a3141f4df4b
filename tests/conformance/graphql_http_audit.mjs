// The GraphQL over HTTP audit suite of the npm package graphql-http (its serverAudits), run
// against a live MarketLink. Usage: node graphql_http_audit.mjs <graphql URL> <bearer token>
// Every request carries the token (MarketLink's API needs one); prints one line per audit and
// exits 1 if any audit is not "ok" (errors and warnings alike).
import { auditServer } from "graphql-http";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node graphql_http_audit.mjs <graphql URL> <bearer token>");
  process.exit(2);
}
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
let failed = 0;
for (const result of results) {
  if (result.status !== "ok") failed += 1;
  const reason = result.status === "ok" ? "" : `: ${result.reason}`;
  console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}${reason}`);
}
console.log(`${results.length} audits, ${results.length - failed} ok, ${failed} not ok`);
process.exit(failed ? 1 : 0);
