/**
 * Every emulated operation's IAM mapping, by the service name the SDK client gives itself (as the local
 * cloud receives calls). `test/local/iam/operations.test.ts` fails for an emulated operation without one.
 */
import { dynamodbMappings, secretsMappings, stsMappings } from "./data.ts";
import { eksMappings, iamMappings } from "./eks-iam.ts";
import {
  cloudwatchMappings,
  eventBridgeMappings,
  route53Mappings,
  stepFunctionsMappings,
} from "./monitoring.ts";
import { rdsDataMappings, rdsMappings } from "./rds.ts";
import type { OperationMapping } from "./types.ts";

export const OPERATION_MAPPINGS: Readonly<Record<string, Readonly<Record<string, OperationMapping>>>> = {
  RDS: rdsMappings,
  RDSData: rdsDataMappings,
  SecretsManager: secretsMappings,
  STS: stsMappings,
  DynamoDB: dynamodbMappings,
  EKS: eksMappings,
  IAM: iamMappings,
  CloudWatch: cloudwatchMappings,
  Route53: route53Mappings,
  SFN: stepFunctionsMappings,
  EventBridge: eventBridgeMappings,
};

export function mappingOf(service: string, operation: string): OperationMapping | undefined {
  return OPERATION_MAPPINGS[service]?.[operation];
}

export type { Lookup, MappedRequest, OperationMapping } from "./types.ts";
