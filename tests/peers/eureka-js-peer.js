// eureka-js-client, an independent Eureka client, against our registry. Driven by EurekaJsClientSpecs:
// registers itself, waits until its registry cache (full fetch, then deltas) holds the instances of the
// application named on the command line, reports them, heartbeats until told to stop, then deregisters.
// Each step is one JSON line on stdout. The registry's credentials go with every call (Basic, through the
// client's requestMiddleware, as its README shows for HTTP authentication).
const { Eureka } = require('eureka-js-client');
const readline = require('readline');

const [, , host, port, lookFor, user, password] = process.argv;
const say = (event) => console.log(JSON.stringify(event));

const client = new Eureka({
  instance: {
    app: 'jspeer',
    instanceId: 'peer-host:jspeer:7001',
    hostName: 'peer-host',
    ipAddr: '127.0.0.1',
    port: { $: 7001, '@enabled': true },
    vipAddress: 'jspeer',
    statusPageUrl: 'http://127.0.0.1:7001/info',
    dataCenterInfo: { '@class': 'com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo', name: 'MyOwn' },
  },
  requestMiddleware: (requestOpts, done) => {
    done({ ...requestOpts, auth: { user, password } });
  },
  eureka: {
    host,
    port: Number(port),
    servicePath: '/eureka/apps/',
    heartbeatInterval: 300,
    registryFetchInterval: 300,
    shouldUseDelta: true,
    maxRetries: 1,
  },
});
client.logger.level('warn');

client.start((error) => {
  if (error) {
    say({ event: 'failed', error: String(error) });
    process.exit(1);
  }
  say({ event: 'registered' });
  const waitForLookup = setInterval(() => {
    const instances = client.getInstancesByAppId(lookFor) || [];
    if (instances.length > 0) {
      clearInterval(waitForLookup);
      say({ event: 'found', instances: instances.map((instance) => instance.instanceId) });
    }
  }, 100);
});

// "stop" on stdin: deregister and leave.
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'stop') {
    client.stop(() => {
      say({ event: 'stopped' });
      process.exit(0);
    });
  }
});
