// The kafka-sagas peer of `bench saga` (KafkaSagasPeer copies this file next to the installed npm
// packages and runs it; not an example). The same round trip as Sagaflow's SagaBenchCommand:
//
//   node saga-bench.js echo <bootstrap> <request topic> <reply topic> <flush ms|default>
//     A TopicSagaConsumer on the request topic whose saga puts the payload to the reply topic.
//     Prints READY once its consumer runs; exits when stdin closes (its parent JVM ended) or on SIGTERM.
//
//   node saga-bench.js requester <bootstrap> <request topic> <reply topic> <flush ms|default> <load JSON>
//     Starts requester sagas in this process with the package's SagaRunner (as Sagaflow's runtime.run
//     does): open an action channel on the reply topic, put the request, race a take of the reply
//     against a 10 s delay. Warm-up, then a closed loop (saturated), then a paced run whose latency
//     counts from each saga's scheduled start. Prints one STATS line per measured scenario, then exits.
//
// <flush ms|default>: `default` leaves the package's producers as they come (the TopicSagaConsumer's
// producer flushes every 100 ms, a ThrottledProducer made without a config every 1,000 ms); a number
// sets flushIntervalMs of both producers (the package reads `flushIntervalMs || 1000`, so 1 is the
// lowest it takes).
'use strict';
const {performance} = require('perf_hooks');
const {Kafka, logLevel} = require('kafkajs');
const {TopicSagaConsumer, SagaRunner, ConsumerPool, ThrottledProducer, EffectBuilder} = require('kafka-sagas');
const pino = require('pino');

const [role, bootstrap, requestTopic, replyTopic, flushArg, loadJson] = process.argv.slice(2);
const flushMs = flushArg === 'default' ? null : Number(flushArg);
if (!['echo', 'requester'].includes(role) || !bootstrap || !requestTopic || !replyTopic
    || (flushMs !== null && !(flushMs >= 1))) {
  console.error('usage: node saga-bench.js echo|requester <bootstrap> <request topic> <reply topic> '
      + '<flush ms|default> [<load JSON>]');
  process.exit(2);
}
const kafka = new Kafka({clientId: 'bench-kafka-sagas-' + role, brokers: [bootstrap], logLevel: logLevel.WARN});
// Warnings only, as the Sagaflow side logs (the package's pino logger logs two info lines per saga otherwise).
const logger = pino({level: 'warn'});

function echo() {
  const consumer = new TopicSagaConsumer({
    kafka,
    topic: requestTopic,
    loggerConfig: {logger},
    ...(flushMs === null ? {} : {producerConfig: {flushIntervalMs: flushMs}}),
    *saga(action, {effects}) {
      yield effects.put(replyTopic, action.payload);
    }
  });
  let stopping = false;
  const stop = async code => {
    if (stopping) {
      return;
    }
    stopping = true;
    await Promise.race([consumer.disconnect().catch(() => {}), new Promise(r => setTimeout(r, 5000))]);
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0));
  process.stdin.on('end', () => stop(0));
  process.stdin.resume();
  consumer.run()
    .then(() => console.log('READY'))
    .catch(error => {
      console.error('FAILED', error);
      stop(1);
    });
}

async function requester() {
  const load = JSON.parse(loadJson);
  const timeoutMs = load.timeoutMs;
  const pool = new ConsumerPool(kafka, requestTopic + '-requester');
  const producer = flushMs === null
      ? new ThrottledProducer(kafka, undefined, logger)
      : new ThrottledProducer(kafka, {maxOutgoingBatchSize: 10000, flushIntervalMs: flushMs}, logger);
  await producer.connect();
  const runner = new SagaRunner(pool, producer);

  function* saga(action, {effects}) {
    const replies = yield effects.actionChannel(replyTopic);
    yield effects.put(requestTopic, action.payload);
    const r = yield effects.race({reply: effects.take(replies), timeout: effects.delay(timeoutMs)});
    if (!r.reply) {
      throw new Error('no reply within ' + timeoutMs + ' ms');
    }
  }

  let seq = 0;
  // Resolves true when the saga got its reply, false when it failed (as TopicSagaConsumer does on a
  // failure, the transaction's observers are dropped).
  function runOne(n) {
    const transactionId = 'bench-' + process.pid + '-' + seq++;
    const action = {topic: 'BENCH_START', transaction_id: transactionId, payload: n};
    return runner.runSaga(action, {effects: new EffectBuilder(transactionId)}, saga).then(() => true, () => {
      pool.stopTransaction(transactionId);
      return false;
    });
  }

  // The first saga creates the reply consumer (ConsumerPool creates one per topic, but only once its first
  // subscription is done: sagas started together before that would each create their own). Its group starts
  // at the latest offset, so a reply written before its first fetch is missed: try again until one succeeds.
  const firstDeadline = performance.now() + 60000;
  while (!(await runOne(-1))) {
    if (performance.now() > firstDeadline) {
      throw new Error('no saga round trip succeeded within 60 s');
    }
  }
  await closedLoop('warmup', Number.MAX_SAFE_INTEGER, load.concurrency, load.warmupSeconds, false);
  await closedLoop('saga-roundtrip-saturated', load.sagas, load.concurrency, load.seconds, true);
  await paced('saga-roundtrip-' + load.rate, load.rate, load.pacedSeconds);
  await Promise.race([
    Promise.allSettled([pool.disconnectConsumers(), producer.disconnect()]),
    new Promise(r => setTimeout(r, 5000))]);
  process.exit(0);

  /** Keeps `concurrency` sagas in flight until `maxSagas` started or `seconds` passed, then waits for the rest. */
  function closedLoop(scenario, maxSagas, concurrency, seconds, print) {
    const latencies = [];
    let started = 0;
    let failed = 0;
    let inFlight = 0;
    const start = performance.now();
    const stopAt = start + seconds * 1000;
    return new Promise(resolve => {
      const done = () => inFlight === 0 && (started >= maxSagas || performance.now() >= stopAt);
      const launch = () => {
        while (inFlight < concurrency && started < maxSagas && performance.now() < stopAt) {
          const t0 = performance.now();
          inFlight++;
          runOne(started++).then(ok => {
            latencies.push(performance.now() - t0);
            if (!ok) {
              failed++;
            }
            inFlight--;
            launch();
            if (done()) {
              report(scenario, started, failed, (performance.now() - start) / 1000, latencies, print);
              resolve();
            }
          });
        }
      };
      launch();
      if (done()) {
        resolve();
      }
    });
  }

  /** `rate` sagas/s for `seconds`, each latency counted from its scheduled start; then waits for the rest. */
  async function paced(scenario, rate, seconds) {
    const total = rate * seconds;
    const intervalMs = 1000 / rate;
    const latencies = new Array(total);
    const running = [];
    let failed = 0;
    const start = performance.now();
    await new Promise(resolve => {
      let i = 0;
      const tick = () => {
        const now = performance.now();
        for (; i < total && start + i * intervalMs <= now; i++) {
          const scheduled = start + i * intervalMs;
          const n = i;
          running.push(runOne(n).then(ok => {
            latencies[n] = performance.now() - scheduled;
            if (!ok) {
              failed++;
            }
          }));
        }
        if (i < total) {
          setTimeout(tick, Math.max(0, start + i * intervalMs - performance.now()));
        } else {
          resolve();
        }
      };
      tick();
    });
    await Promise.all(running);
    report(scenario, total, failed, (performance.now() - start) / 1000, latencies, true);
  }

  function report(scenario, total, failed, seconds, latencies, print) {
    if (!print) {
      return;
    }
    const sorted = Float64Array.from(latencies).sort();
    // As SagaBenchCommand.percentile: the ceil(p * n)-th smallest, failures (their time to fail) included.
    const pct = p => sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    console.log(`STATS scenario=${scenario} sagas=${total - failed} failed=${failed} seconds=${seconds.toFixed(3)}`
        + ` p50_ms=${pct(0.5).toFixed(3)} p99_ms=${pct(0.99).toFixed(3)}`);
  }
}

if (role === 'echo') {
  echo();
} else {
  requester().catch(error => {
    console.error('FAILED', error);
    process.exit(1);
  });
}
