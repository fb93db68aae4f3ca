/** Fixtures the canary handler tests share: a plan for api in shop, its stable Deployment, the fake cluster's paths. */
import type { Plan } from "../../../functions/canary/lib/plan.ts";

export const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:canary-promotion:run-1";
export const OTHER_EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:canary-promotion:run-0";

export const PLAN: Plan = {
  service: "api",
  region: "us-east-1",
  cluster: "cplane-us-east-1",
  namespace: "shop",
  image: "cplane/api:2.0.0",
  stableImage: "cplane/api:1.0.0",
  stableReplicas: 6,
  stages: [{ weight: 10 }, { weight: 25 }, { weight: 50 }, { weight: 100 }],
  bakeSeconds: 3600,
  fullBakeSeconds: 3600,
  analysisIntervalSeconds: 60,
  progressDeadlineSeconds: 600,
  gates: {
    maxErrorRatePercent: 1,
    maxP99Ms: 500,
    maxBusinessSuccessDropPoints: 2,
    minRequests: 50,
    minTransactions: 50,
  },
  approvalBeforeFull: false,
};

export const PATHS = {
  stable: "/apis/apps/v1/namespaces/shop/deployments/api-stable",
  canary: "/apis/apps/v1/namespaces/shop/deployments/api-canary",
  virtualService: "/apis/networking.istio.io/v1/namespaces/shop/virtualservices/api",
};

export function stableDeployment(image = "cplane/api:1.0.0") {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "api-stable", namespace: "shop", labels: { app: "api", version: "stable" } },
    spec: {
      replicas: 6,
      selector: { matchLabels: { app: "api", version: "stable" } },
      template: {
        metadata: { labels: { app: "api", version: "stable" } },
        spec: {
          containers: [
            { name: "api", image, ports: [{ containerPort: 8080 }] },
            { name: "proxy", image: "istio/proxyv2:1.24.0" },
          ],
        },
      },
    },
  };
}
