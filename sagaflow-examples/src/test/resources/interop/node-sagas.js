// Two Node sagas on the real kafka-sagas package, for NodeInteropTest (run by it; not an example).
//   node node-sagas.js <bootstrap> <topic prefix>
// kitchen: on <prefix>ORDER puts <prefix>NODE_BAKED with the order plus fields the Java type lacks.
// driver:  on <prefix>DELIVER calls a function with two arguments (callFn) and puts
//          <prefix>NODE_DELIVERED with the Java payload plus fields of its own.
// Prints READY once both consumers run; exits when stdin closes (its parent JVM ended) or on SIGTERM.
'use strict';
const {Kafka, logLevel} = require('kafkajs');
const {TopicSagaConsumer} = require('kafka-sagas');

const [bootstrap, prefix] = process.argv.slice(2);
const kafka = new Kafka({clientId: 'sagaflow-node-interop', brokers: [bootstrap], logLevel: logLevel.WARN});
const loggerConfig = {level: 'warn'};

const kitchen = new TopicSagaConsumer({
  kafka,
  topic: prefix + 'ORDER',
  loggerConfig,
  consumerConfig: {groupId: prefix + 'node-kitchen'},
  *saga(action, {effects}) {
    yield effects.put(prefix + 'NODE_BAKED', {...action.payload, size: 'large', bakedBy: 'node'});
  }
});

function eta(item, minutes) {
  return item + ' in ' + minutes + ' min';
}

const driver = new TopicSagaConsumer({
  kafka,
  topic: prefix + 'DELIVER',
  loggerConfig,
  consumerConfig: {groupId: prefix + 'node-driver'},
  *saga(action, {effects}) {
    const when = yield effects.callFn(eta, [action.payload.item, 12]);
    yield effects.put(prefix + 'NODE_DELIVERED', {...action.payload, driver: 'node', eta: when});
  }
});

let stopping = false;
async function stop(code) {
  if (stopping) {
    return;
  }
  stopping = true;
  await Promise.allSettled([kitchen.disconnect(), driver.disconnect()]);
  process.exit(code);
}

process.on('SIGTERM', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.resume();

Promise.all([kitchen.run(), driver.run()])
  .then(() => console.log('READY'))
  .catch(error => {
    console.error('FAILED', error);
    stop(1);
  });
