// Drive localhub with @octokit/rest exactly as a Node tool would use GitHub Enterprise.
// Usage: node octokit_smoke.mjs <node_modules dir> <api url> <token>
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, baseUrl, token] = process.argv.slice(2);
const require = createRequire(path.join(modules, "package.json"));
const entry = require.resolve("@octokit/rest");
const { Octokit } = await import(pathToFileURL(entry).href);

const octokit = new Octokit({ auth: token, baseUrl, userAgent: "localhub-smoke" });
const owner = "acme";
const repo = "widgets";
const out = {};

out.repo = (await octokit.rest.repos.get({ owner, repo })).data.full_name;
const issue = await octokit.rest.issues.create({ owner, repo, title: "From octokit", body: "js" });
out.issue = issue.data.number;
await octokit.rest.issues.addLabels({ owner, repo, issue_number: issue.data.number, labels: ["node"] });
await octokit.rest.issues.createComment({ owner, repo, issue_number: issue.data.number, body: "hi" });
for (let i = 0; i < 4; i++) {
  await octokit.rest.issues.create({ owner, repo, title: `more ${i}` });
}
const all = await octokit.paginate(octokit.rest.issues.listForRepo, { owner, repo, per_page: 2 });
out.paginated = all.map((i) => i.number).sort((a, b) => a - b);
out.labels = (await octokit.rest.issues.listLabelsOnIssue({ owner, repo, issue_number: issue.data.number })).data.map((l) => l.name);
out.rate = (await octokit.rest.rateLimit.get()).data.rate.limit;
try {
  await octokit.rest.issues.get({ owner, repo, issue_number: 999 });
  out.missing = "no error";
} catch (error) {
  out.missing = error.status;
}
console.log(JSON.stringify(out));
