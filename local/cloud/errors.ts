/**
 * Errors exactly as the SDK caller would see them from AWS: an instance of the service's modeled
 * exception class when the SDK has one (so `instanceof DBClusterNotFoundFault` holds), otherwise of the
 * service's base `ServiceException`, with AWS's `name`, message, `$fault` and `$metadata.httpStatusCode`.
 */
import * as cloudwatch from "@aws-sdk/client-cloudwatch";
import * as dynamodb from "@aws-sdk/client-dynamodb";
import * as eks from "@aws-sdk/client-eks";
import * as eventbridge from "@aws-sdk/client-eventbridge";
import * as iam from "@aws-sdk/client-iam";
import * as rds from "@aws-sdk/client-rds";
import * as rdsData from "@aws-sdk/client-rds-data";
import * as route53 from "@aws-sdk/client-route-53";
import * as secrets from "@aws-sdk/client-secrets-manager";
import * as sts from "@aws-sdk/client-sts";

type Fault = "client" | "server";

interface ExceptionOptions {
  message: string;
  $metadata: { httpStatusCode: number };
  name?: string;
  $fault?: Fault;
}
type ExceptionClass = new (options: ExceptionOptions) => Error;

const modules: Record<string, { base: ExceptionClass; exports: Record<string, unknown> }> = {
  RDS: { base: rds.RDSServiceException as unknown as ExceptionClass, exports: rds },
  RDSData: { base: rdsData.RDSDataServiceException as unknown as ExceptionClass, exports: rdsData },
  SecretsManager: {
    base: secrets.SecretsManagerServiceException as unknown as ExceptionClass,
    exports: secrets,
  },
  STS: { base: sts.STSServiceException as unknown as ExceptionClass, exports: sts },
  IAM: { base: iam.IAMServiceException as unknown as ExceptionClass, exports: iam },
  EKS: { base: eks.EKSServiceException as unknown as ExceptionClass, exports: eks },
  CloudWatch: {
    base: cloudwatch.CloudWatchServiceException as unknown as ExceptionClass,
    exports: cloudwatch,
  },
  Route53: { base: route53.Route53ServiceException as unknown as ExceptionClass, exports: route53 },
  DynamoDB: { base: dynamodb.DynamoDBServiceException as unknown as ExceptionClass, exports: dynamodb },
  EventBridge: {
    base: eventbridge.EventBridgeServiceException as unknown as ExceptionClass,
    exports: eventbridge,
  },
};

/** Services whose protocol names throttling `Throttling` (query/XML protocols); the others say `ThrottlingException`. */
const QUERY_PROTOCOL = new Set(["RDS", "STS", "IAM", "CloudWatch", "Route53"]);

export function throttlingErrorName(service: string): string {
  return QUERY_PROTOCOL.has(service) ? "Throttling" : "ThrottlingException";
}

const SERVER_ERRORS = new Set([
  "InternalFailure",
  "InternalServerError",
  "InternalServerErrorException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "ServiceUnavailableError",
  "InternalServiceError",
  "InternalServiceErrorException",
  "ServerException",
]);

const STATUS: Record<string, number> = {
  Throttling: 400,
  ThrottlingException: 400,
  ServiceUnavailable: 503,
  ServiceUnavailableException: 503,
  AccessDeniedException: 403,
  AccessDenied: 403,
  ResourceNotFoundException: 404,
  NoSuchHostedZone: 404,
  NoSuchHealthCheck: 404,
  NoSuchChange: 404,
  DBClusterNotFoundFault: 404,
  DBInstanceNotFound: 404,
  DBClusterSnapshotNotFoundFault: 404,
  GlobalClusterNotFoundFault: 404,
  ResourceInUseException: 409,
  ResourceExistsException: 400,
};

export interface AwsErrorOptions {
  fault?: Fault;
  status?: number;
}

const byName = new Map<string, Record<string, ExceptionClass>>();

/** The service's modeled exception classes by the `name` their instances carry (`DBInstanceNotFound`). */
function modeledClasses(
  service: string,
  mod: { base: ExceptionClass; exports: Record<string, unknown> },
): Record<string, ExceptionClass> {
  const known = byName.get(service);
  if (known) return known;
  const out: Record<string, ExceptionClass> = {};
  for (const value of Object.values(mod.exports)) {
    if (typeof value !== "function" || !(value.prototype instanceof mod.base)) continue;
    const cls = value as ExceptionClass;
    const probe = new cls({ message: "", $metadata: { httpStatusCode: 400 } });
    out[probe.name] = cls;
  }
  byName.set(service, out);
  return out;
}

/** Builds the error the SDK would throw for `name` from `service`. */
export function awsError(
  service: string,
  name: string,
  message: string,
  options: AwsErrorOptions = {},
): Error {
  const fault: Fault = options.fault ?? (SERVER_ERRORS.has(name) ? "server" : "client");
  const status = options.status ?? STATUS[name] ?? (fault === "server" ? 500 : 400);
  const mod = modules[service];
  const $metadata = { httpStatusCode: status };
  const modeled = mod ? modeledClasses(service, mod)[name] : undefined;
  if (modeled) return new modeled({ message, $metadata });
  if (mod) return new mod.base({ name, message, $fault: fault, $metadata });
  return Object.assign(new Error(message), { name, $fault: fault, $metadata });
}

/** What an SDK client sees when the region's endpoint does not answer: a network timeout, no AWS error body. */
export function outageError(service: string, region: string): Error {
  const host = `${service.toLowerCase()}.${region}.amazonaws.com`;
  return Object.assign(new Error(`connect ETIMEDOUT ${host}:443`), {
    name: "TimeoutError",
    code: "ETIMEDOUT",
    $metadata: { attempts: 1 },
  });
}

/** Thrown by operation handlers; `send` turns it into the SDK-shaped error of the calling service. */
export class CloudFault extends Error {
  readonly options: AwsErrorOptions;
  constructor(name: string, message: string, options: AwsErrorOptions = {}) {
    super(message);
    this.name = name;
    this.options = options;
  }
}

export function fail(name: string, message: string, options?: AwsErrorOptions): never {
  throw new CloudFault(name, message, options);
}
