/**
 * Process entry point: environment -> config -> startReferenceNode. SIGTERM and SIGINT run the
 * node's shutdown (sigterm broadcast when apps run, `shutdownReason: 'sigterm'` in the heartbeat)
 * and exit 0, or exit anyway after FLUXNET_SHUTDOWN_TIMEOUT_MS. Bad configuration exits 2 with the
 * variable named.
 */
import { ConfigError, loadNodeConfig, type NodeConfig } from './config.js';
import { createLogger } from './log.js';
import { type ReferenceNode, startReferenceNode } from './node.js';

const EXIT_CONFIG = 2;
const EXIT_FAILURE = 1;

function readConfig(): NodeConfig {
  try {
    return loadNodeConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`fluxnet reference node: bad configuration: ${error.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, bindings: { node: config.ip } });
  process.on('uncaughtException', (error, origin) => logger.error('uncaught exception', { origin, error }));
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { error: reason }));

  let node: ReferenceNode;
  try {
    node = await startReferenceNode(config, { logger });
  } catch (error) {
    logger.error('node failed to start', { error });
    process.exit(EXIT_FAILURE);
  }

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info('shutting down', { signal, timeoutMs: config.shutdownTimeoutMs });
    const deadline = setTimeout(() => {
      logger.warn('shutdown timed out, exiting anyway', { timeoutMs: config.shutdownTimeoutMs });
      process.exit(0);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    node
      .shutdown()
      .catch((error: unknown) => logger.error('shutdown failed', { error }))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

await main();
