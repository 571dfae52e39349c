import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Logger } from '../../ports.js';

const SERVICE = 'rds-provisioner';

/** Powertools Logger (JSON with the Lambda context, sampling, log level from the environment). */
export const powertoolsLogger = new PowertoolsLogger({ serviceName: SERVICE });

/** Powertools Metrics in EMF; the namespace comes from POWERTOOLS_METRICS_NAMESPACE when set. */
export const metrics = new Metrics({ serviceName: SERVICE, namespace: 'RdsProvisioner' });

export type MetricName = 'accepted' | 'pr_opened' | 'failed';

export function count(name: MetricName): void {
  metrics.addMetric(name, MetricUnit.Count, 1);
}

/** The use cases' Logger port over Powertools: the fields become top-level keys of the JSON line. */
export const logger: Logger = {
  info: (message, fields = {}) => powertoolsLogger.info(message, fields),
  warn: (message, fields = {}) => powertoolsLogger.warn(message, fields),
  error: (message, fields = {}) => powertoolsLogger.error(message, fields),
};
