/** Fixtures for the tenant handler tests: environment, a registered tenant, a fake Kubernetes API. */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { TenantRecord } from "../../../functions/tenant/lib/registry.ts";

export const TABLE = "cplane-test-tenants";
export const BUS = "cplane-test-bus";
export const CLUSTER = "cplane-test-tenants";
export const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tenant-onboarding:run-1";
export const OTHER_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:tenant-onboarding:run-0";
export const TENANT_ID = "3f1c1f9e-0000-4000-8000-000000000001";
export const CLUSTER_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:tenant-acme";
export const MASTER_SECRET_ARN =
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-abc-123456";
export const APP_SECRET_ARN =
  "arn:aws:secretsmanager:us-east-1:123456789012:secret:cplane/tenants/acme/db-AbCdEf";
export const APP_ROLE_ARN = "arn:aws:iam::123456789012:role/cplane-test-tenant-app";
export const EKS_CLUSTER_ARN = "arn:aws:eks:us-east-1:123456789012:cluster/cplane-test-tenants";
export const OPERATOR_ROLE_NAME = "cplane-test-tenant-acme-operators";
export const OPERATOR_ROLE_ARN = `arn:aws:iam::123456789012:role/${OPERATOR_ROLE_NAME}`;
export const OPERATOR_BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/cplane-test-tenant-operator-boundary";

export function setTenantEnvironment(): void {
  process.env.TENANT_TABLE = TABLE;
  process.env.EVENT_BUS_NAME = BUS;
  process.env.EKS_CLUSTER_NAME = CLUSTER;
  process.env.TENANT_DOMAIN = "tenants.example.com";
  process.env.TENANT_APP_ROLE_ARN = APP_ROLE_ARN;
  process.env.EKS_CLUSTER_ARN = EKS_CLUSTER_ARN;
  process.env.TENANT_OPERATOR_ROLE_ARN_PREFIX = "arn:aws:iam::123456789012:role/cplane-test-tenant-";
  process.env.TENANT_OPERATOR_BOUNDARY_ARN = OPERATOR_BOUNDARY_ARN;
  process.env.DR_REGION = "us-west-2";
}

/** The operator role as IAM's GetRole returns it, tagged for acme by `execution`. */
export function operatorRole(execution: string, slug = "acme") {
  return {
    RoleName: OPERATOR_ROLE_NAME,
    Arn: OPERATOR_ROLE_ARN,
    RoleId: "AROAEXAMPLE",
    Path: "/",
    CreateDate: new Date("2026-11-22T10:00:00Z"),
    AssumeRolePolicyDocument: "{}",
    Tags: [
      { Key: "cplane:tenant", Value: slug },
      { Key: "cplane:tenant-id", Value: TENANT_ID },
      { Key: "cplane:execution", Value: execution },
    ],
  };
}

export const KEY = { pk: { S: "TENANT#acme" }, sk: { S: "TENANT" } };

export function tenantRecord(overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    tenantId: TENANT_ID,
    slug: "acme",
    name: "Acme",
    tier: "premium",
    adminEmail: "ops@acme.test",
    region: "us-east-1",
    status: "onboarding",
    executionArn: EXECUTION,
    createdAt: "2026-11-22T10:00:00.000Z",
    updatedAt: "2026-11-22T10:00:00.000Z",
    history: [
      { at: "2026-11-22T10:00:00.000Z", step: "register", outcome: "registered", executionArn: EXECUTION },
    ],
    ...overrides,
  };
}

/** The tenant as DynamoDB returns it. */
export function tenantItem(overrides: Partial<TenantRecord> = {}) {
  return { ...KEY, ...marshall(tenantRecord(overrides), { removeUndefinedValues: true }) };
}

export function conditionalCheckFailed(): Error {
  return Object.assign(new Error("The conditional request failed"), {
    name: "ConditionalCheckFailedException",
  });
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

/** A loopback Kubernetes API that stores what is applied, by path, and records every request. */
export class FakeKubernetes {
  readonly objects = new Map<string, Record<string, unknown>>();
  readonly requests: RecordedRequest[] = [];
  /** Status to answer the next requests with, instead of handling them. */
  failWith: number | undefined;
  #server: Server | undefined;

  async start(): Promise<string> {
    this.#server = createServer(async (request, response) => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString();
      const body: unknown = text ? JSON.parse(text) : undefined;
      this.requests.push({
        method: request.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body,
      });
      const reply = (status: number, payload: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(payload));
      };
      if (this.failWith !== undefined) return reply(this.failWith, { kind: "Status", code: this.failWith });
      const existing = this.objects.get(url.pathname);
      if (request.method === "PATCH") {
        this.objects.set(url.pathname, body as Record<string, unknown>);
        return reply(existing ? 200 : 201, body);
      }
      if (!existing) return reply(404, { kind: "Status", code: 404, reason: "NotFound" });
      if (request.method === "DELETE") {
        this.objects.delete(url.pathname);
        const namespace = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname)?.[1];
        for (const path of [...this.objects.keys()]) {
          if (namespace && path.includes(`/namespaces/${namespace}/`)) this.objects.delete(path);
        }
        return reply(200, { kind: "Status", status: "Success" });
      }
      return reply(200, existing);
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Puts an object at the path a namespaced or cluster object lives at. */
  seed(path: string, object: Record<string, unknown>): void {
    this.objects.set(path, object);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}
