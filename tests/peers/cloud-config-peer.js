// The npm Spring Cloud Config clients against our config server. Driven by ConfigServerPeerSpecs: one request per
// run, described by the JSON argument
//   {"client": "cloud-config-client" | "spring-cloud-config", "endpoint": "http://user:password@127.0.0.1:8888",
//    "name": "orders", "profiles": ["Development"], "label": "v2", "keys": ["shop.greeting", ...]}
// and answered with one JSON line on stdout: {"ok": true, "values": {key: value}, "object": {...}} or
// {"ok": false, "error": "..."}. The credentials travel as the endpoint's userinfo, which both clients turn into
// Basic authentication.
const fs = require('fs');
const os = require('os');
const path = require('path');

const request = JSON.parse(process.argv[2]);
const say = (report) => console.log(JSON.stringify(report));

async function withCloudConfigClient() {
  const client = require('cloud-config-client');
  const config = await client.load({
    endpoint: request.endpoint,
    name: request.name,
    profiles: request.profiles,
    label: request.label,
  });
  const values = {};
  for (const key of request.keys || []) {
    values[key] = config.get(key);
  }
  // toObject() with its default (merge: false): a list comes whole from the most specific source that has it. It
  // throws on an answer without property sources (Object.assign() of nothing), which the genuine server sends too.
  let object = null;
  let objectError = null;
  try {
    object = config.toObject();
  } catch (error) {
    objectError = String(error.message);
  }
  return { values, properties: config.properties, object, objectError };
}

// spring-cloud-config reads bootstrap.yml and application.yml from a folder, then merges the server's answer over
// the local application.yml. fail-fast, so that an error from the server is an error here rather than local values.
async function withSpringCloudConfig() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'spring-cloud-config-peer-'));
  try {
    const cloud = { enabled: true, 'fail-fast': true, endpoint: request.endpoint, name: request.name };
    if (request.label) {
      cloud.label = request.label;
    }
    fs.writeFileSync(path.join(folder, 'bootstrap.yml'), JSON.stringify({ spring: { cloud: { config: cloud } } }));
    fs.writeFileSync(path.join(folder, 'application.yml'), 'shop:\n  local: only in the local application.yml\n  greeting: the local greeting\n');
    const { Config } = require('spring-cloud-config');
    const object = await Config.load({ configPath: folder, activeProfiles: request.profiles, level: 'error' });
    const values = {};
    for (const key of request.keys || []) {
      values[key] = key.split('.').reduce((node, part) => (node === undefined ? undefined : node[part]), object);
    }
    return { values, object };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

(request.client === 'spring-cloud-config' ? withSpringCloudConfig() : withCloudConfigClient())
  .then((result) => say({ ok: true, ...result }))
  .catch((error) => say({ ok: false, error: String(error && error.message ? error.message : error) }));
