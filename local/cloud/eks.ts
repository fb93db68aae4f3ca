/**
 * EKS: clusters (each with its own loopback Kubernetes API), managed node groups that scale node by
 * node on the clock, access entries and access policies, Pod Identity associations, tags.
 */
import { randomUUID } from "node:crypto";
import type {
  AssociateAccessPolicyCommandInput,
  CreateAccessEntryCommandInput,
  CreateClusterCommandInput,
  CreateNodegroupCommandInput,
  CreatePodIdentityAssociationCommandInput,
  DeleteAccessEntryCommandInput,
  DeleteClusterCommandInput,
  DeleteNodegroupCommandInput,
  DeletePodIdentityAssociationCommandInput,
  DescribeAccessEntryCommandInput,
  DescribeClusterCommandInput,
  DescribeNodegroupCommandInput,
  DescribePodIdentityAssociationCommandInput,
  DescribeUpdateCommandInput,
  DisassociateAccessPolicyCommandInput,
  ListAccessEntriesCommandInput,
  ListAssociatedAccessPoliciesCommandInput,
  ListNodegroupsCommandInput,
  ListPodIdentityAssociationsCommandInput,
  ListTagsForResourceCommandInput,
  TagResourceCommandInput,
  UntagResourceCommandInput,
  UpdateNodegroupConfigCommandInput,
} from "@aws-sdk/client-eks";
import { type JsonText, objectText, SavedText } from "./changes.ts";
import type { CloudContext, Json } from "./context.ts";
import { randomId } from "./context.ts";
import { fail } from "./errors.ts";
import { clusterCa, KubernetesCluster } from "./kubernetes.ts";
import type { EmulatedService } from "./service.ts";
import { addTo, fromJson } from "./service.ts";

interface EksCluster {
  region: string;
  name: string;
  arn: string;
  status: string;
  version: string;
  roleArn: string;
  createdAt: Date;
  ca: string;
  oidcId: string;
  authenticationMode: string;
  vpc: Record<string, unknown>;
  tags: Record<string, string>;
  port?: number;
}

interface Nodegroup {
  region: string;
  cluster: string;
  name: string;
  arn: string;
  status: string;
  nodeRole: string;
  instanceTypes: string[];
  scaling: { minSize: number; maxSize: number; desiredSize: number };
  nodes: number;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
  labels: Record<string, string>;
  capacityType: string;
}

interface Update {
  id: string;
  region: string;
  cluster: string;
  nodegroup?: string;
  status: string;
  type: string;
  params: { type: string; value: string }[];
  createdAt: Date;
}

interface AccessEntry {
  region: string;
  cluster: string;
  principalArn: string;
  arn: string;
  kubernetesGroups: string[];
  username: string;
  type: string;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
  policies: {
    policyArn: string;
    accessScope: { type?: string; namespaces?: string[] };
    associatedAt: Date;
    modifiedAt: Date;
  }[];
}

interface PodIdentity {
  region: string;
  cluster: string;
  id: string;
  arn: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  createdAt: Date;
  modifiedAt: Date;
  tags: Record<string, string>;
}

interface State {
  clusters: EksCluster[];
  nodegroups: Nodegroup[];
  updates: Update[];
  accessEntries: AccessEntry[];
  podIdentities: PodIdentity[];
}

export class Eks implements EmulatedService {
  readonly name = "EKS";
  readonly pureReads: ReadonlySet<string> = new Set([
    "DescribeCluster",
    "ListClusters",
    "DescribeNodegroup",
    "ListNodegroups",
    "ListAccessEntries",
    "ListPodIdentityAssociations",
  ]);
  private readonly ctx: CloudContext;
  private state: State = { clusters: [], nodegroups: [], updates: [], accessEntries: [], podIdentities: [] };
  private readonly apis = new Map<string, KubernetesCluster>();
  /** Images whose rollouts never become ready (a broken release), by substring. */
  readonly brokenImages = new Set<string>();

  /** Whether an IAM principal exists; access entries name only existing principals, as on AWS. */
  private readonly principalExists: (arn: string) => boolean;

  /**
   * Decides Kubernetes API requests from the cluster's access entries (local/iam/kubernetes.ts, set by the
   * runtime when local IAM is on); unset, any EKS token may do anything.
   */
  kubernetesAuthorizer:
    | ((
        token: string,
        entries: readonly {
          principalArn: string;
          policies: readonly { policyArn: string; accessScope: { type?: string; namespaces?: string[] } }[];
        }[],
        request: { method: string; path: string },
      ) => { code: number; reason: string; message: string } | undefined)
    | undefined;

  constructor(ctx: CloudContext, principalExists: (arn: string) => boolean = () => true) {
    this.ctx = ctx;
    this.principalExists = principalExists;
    const jobs = ctx.jobs;
    jobs.on("eks.cluster.active", (args) => {
      const cluster = this.state.clusters.find((c) => c.arn === String(args));
      if (cluster) cluster.status = "ACTIVE";
    });
    jobs.on("eks.cluster.gone", async (args) => {
      const arn = String(args);
      this.state.clusters = this.state.clusters.filter((c) => c.arn !== arn);
      const api = this.apis.get(arn);
      this.apis.delete(arn);
      await api?.stop();
    });
    jobs.on("eks.nodegroup.step", (args) => {
      const nodegroup = this.state.nodegroups.find((n) => n.arn === String(args));
      if (!nodegroup) return;
      const target = nodegroup.status === "DELETING" ? 0 : nodegroup.scaling.desiredSize;
      if (nodegroup.nodes !== target) nodegroup.nodes += nodegroup.nodes < target ? 1 : -1;
      if (nodegroup.nodes !== target) {
        jobs.schedule("eks.nodegroup.step", ctx.durations.nodeScaleStep, nodegroup.arn);
        return;
      }
      if (nodegroup.status === "DELETING") {
        this.state.nodegroups = this.state.nodegroups.filter((n) => n !== nodegroup);
        return;
      }
      nodegroup.status = "ACTIVE";
      nodegroup.modifiedAt = ctx.clock.date();
      for (const u of this.state.updates) {
        if (u.nodegroup === nodegroup.name && u.cluster === nodegroup.cluster && u.status === "InProgress")
          u.status = "Successful";
      }
    });
    const api = (args: Json) => this.apis.get(String((args as { key: string }).key));
    jobs.on("k8s.rollout.step", (args) =>
      api(args)?.rolloutStep(args as { namespace: string; name: string; generation: number }),
    );
    jobs.on("k8s.rollout.stuck", (args) =>
      api(args)?.rolloutStuck(args as { namespace: string; name: string; generation: number }),
    );
    jobs.on("k8s.namespace.gone", (args) =>
      api(args)?.namespaceGone(String((args as { name: string }).name)),
    );
  }

  /** The Kubernetes API of a cluster, by name (and region, default primary). */
  kubernetes(name: string, region = this.ctx.regions.primary): KubernetesCluster | undefined {
    const cluster = this.state.clusters.find((c) => c.region === region && c.name === name);
    return cluster ? this.apis.get(cluster.arn) : undefined;
  }

  /** Every cluster's API endpoint: `{ region, name, endpoint }`. */
  endpoints(): { region: string; name: string; endpoint: string }[] {
    return this.state.clusters.flatMap((c) => {
      const api = this.apis.get(c.arn);
      return api ? [{ region: c.region, name: c.name, endpoint: api.endpoint }] : [];
    });
  }

  nodegroupsOf(
    region: string,
  ): { cluster: string; name: string; status: string; nodes: number; desired: number }[] {
    return this.state.nodegroups
      .filter((n) => n.region === region)
      .map((n) => ({
        cluster: n.cluster,
        name: n.name,
        status: n.status,
        nodes: n.nodes,
        desired: n.scaling.desiredSize,
      }));
  }

  private cluster(region: string, name: string | undefined): EksCluster {
    const cluster = this.state.clusters.find((c) => c.region === region && c.name === name);
    if (!cluster) fail("ResourceNotFoundException", `No cluster found for name: ${name}.`, { status: 404 });
    return cluster;
  }

  private activeCluster(region: string, name: string | undefined): EksCluster {
    const cluster = this.cluster(region, name);
    if (cluster.status !== "ACTIVE")
      fail("InvalidRequestException", `Cluster '${cluster.name}' is not in ACTIVE status`);
    return cluster;
  }

  private nodegroup(region: string, cluster: string | undefined, name: string | undefined): Nodegroup {
    this.cluster(region, cluster);
    const nodegroup = this.state.nodegroups.find(
      (n) => n.region === region && n.cluster === cluster && n.name === name,
    );
    if (!nodegroup)
      fail("ResourceNotFoundException", `No node group found for name: ${name}.`, { status: 404 });
    return nodegroup;
  }

  private accessEntry(
    region: string,
    cluster: string | undefined,
    principalArn: string | undefined,
  ): AccessEntry {
    this.cluster(region, cluster);
    const entry = this.state.accessEntries.find(
      (e) => e.region === region && e.cluster === cluster && e.principalArn === principalArn,
    );
    if (!entry)
      fail(
        "ResourceNotFoundException",
        `The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.`,
        { status: 404 },
      );
    return entry;
  }

  private clusterOut(c: EksCluster) {
    const api = this.apis.get(c.arn);
    const active = c.status === "ACTIVE" || c.status === "UPDATING";
    return {
      name: c.name,
      arn: c.arn,
      createdAt: c.createdAt,
      version: c.version,
      endpoint: active ? api?.endpoint : undefined,
      roleArn: c.roleArn,
      resourcesVpcConfig: c.vpc,
      kubernetesNetworkConfig: { serviceIpv4Cidr: "172.20.0.0/16", ipFamily: "ipv4" },
      identity: { oidc: { issuer: `https://oidc.eks.${c.region}.amazonaws.com/id/${c.oidcId}` } },
      status: c.status,
      certificateAuthority: active ? { data: c.ca } : {},
      platformVersion: "eks.1",
      tags: { ...c.tags },
      accessConfig: {
        authenticationMode: c.authenticationMode,
        bootstrapClusterCreatorAdminPermissions: true,
      },
      health: { issues: [] },
    };
  }

  private nodegroupOut(n: Nodegroup) {
    return {
      nodegroupName: n.name,
      nodegroupArn: n.arn,
      clusterName: n.cluster,
      version: this.state.clusters.find((c) => c.region === n.region && c.name === n.cluster)?.version,
      status: n.status,
      capacityType: n.capacityType,
      scalingConfig: { ...n.scaling },
      instanceTypes: [...n.instanceTypes],
      nodeRole: n.nodeRole,
      labels: { ...n.labels },
      resources: { autoScalingGroups: [{ name: `eks-${n.name}-${n.arn.slice(-8)}` }] },
      health: { issues: [] },
      createdAt: n.createdAt,
      modifiedAt: n.modifiedAt,
      tags: { ...n.tags },
    };
  }

  private updateOut(u: Update) {
    return {
      id: u.id,
      status: u.status,
      type: u.type,
      params: u.params.map((p) => ({ ...p })),
      createdAt: u.createdAt,
      errors: [],
    };
  }

  private entryOut(e: AccessEntry) {
    return {
      clusterName: e.cluster,
      principalArn: e.principalArn,
      kubernetesGroups: [...e.kubernetesGroups],
      accessEntryArn: e.arn,
      createdAt: e.createdAt,
      modifiedAt: e.modifiedAt,
      tags: { ...e.tags },
      username: e.username,
      type: e.type,
    };
  }

  private podIdentityOut(p: PodIdentity) {
    return {
      clusterName: p.cluster,
      namespace: p.namespace,
      serviceAccount: p.serviceAccount,
      roleArn: p.roleArn,
      associationArn: p.arn,
      associationId: p.id,
      tags: { ...p.tags },
      createdAt: p.createdAt,
      modifiedAt: p.modifiedAt,
    };
  }

  private async startApi(cluster: EksCluster): Promise<KubernetesCluster> {
    const api = new KubernetesCluster({
      ctx: this.ctx,
      name: cluster.name,
      key: cluster.arn,
      version: cluster.version,
      isBrokenImage: (image) => [...this.brokenImages].some((pattern) => image.includes(pattern)),
    });
    api.downRegion = () => this.ctx.isRegionDown(cluster.region);
    api.authorize = (token, request) =>
      this.kubernetesAuthorizer?.(
        token,
        this.state.accessEntries.filter((e) => e.region === cluster.region && e.cluster === cluster.name),
        request,
      );
    this.apis.set(cluster.arn, api);
    await this.ctx.track(api.start(cluster.port ?? 0));
    cluster.port = Number(new URL(api.endpoint).port);
    return api;
  }

  private arnOf(region: string, kind: string, path: string): string {
    return `arn:aws:eks:${region}:${this.ctx.account}:${kind}/${path}`;
  }

  readonly operations = {
    CreateCluster: async (input: CreateClusterCommandInput, region: string) => {
      const name = input.name ?? fail("InvalidParameterException", "name is required");
      if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(name))
        fail("InvalidParameterException", `The cluster name ${name} is not valid.`);
      if (this.state.clusters.some((c) => c.region === region && c.name === name)) {
        fail("ResourceInUseException", `Cluster already exists with name: ${name}`, { status: 409 });
      }
      if (!input.roleArn) fail("InvalidParameterException", "roleArn is required");
      if (!input.resourcesVpcConfig) fail("InvalidParameterException", "resourcesVpcConfig is required");
      const cluster: EksCluster = {
        region,
        name,
        arn: this.arnOf(region, "cluster", name),
        status: "CREATING",
        version: input.version ?? "1.31",
        roleArn: input.roleArn,
        createdAt: this.ctx.clock.date(),
        ca: clusterCa(),
        oidcId: randomId(32, "0123456789ABCDEF"),
        authenticationMode: input.accessConfig?.authenticationMode ?? "API_AND_CONFIG_MAP",
        vpc: {
          subnetIds: input.resourcesVpcConfig?.subnetIds ?? [],
          securityGroupIds: input.resourcesVpcConfig?.securityGroupIds ?? [],
          endpointPublicAccess: input.resourcesVpcConfig?.endpointPublicAccess ?? true,
          endpointPrivateAccess: input.resourcesVpcConfig?.endpointPrivateAccess ?? false,
          vpcId: `vpc-${randomId(17, "0123456789abcdef")}`,
        },
        tags: { ...(input.tags ?? {}) },
      };
      this.state.clusters.push(cluster);
      const api = await this.startApi(cluster);
      api.seedDefaults();
      this.ctx.jobs.schedule("eks.cluster.active", this.ctx.durations.eksClusterCreate, cluster.arn);
      return { cluster: this.clusterOut(cluster) };
    },
    DescribeCluster: (input: DescribeClusterCommandInput, region: string) => ({
      cluster: this.clusterOut(this.cluster(region, input.name)),
    }),
    ListClusters: (_input: object, region: string) => ({
      clusters: this.state.clusters.filter((c) => c.region === region).map((c) => c.name),
    }),
    DeleteCluster: (input: DeleteClusterCommandInput, region: string) => {
      const cluster = this.cluster(region, input.name);
      if (this.state.nodegroups.some((n) => n.region === region && n.cluster === cluster.name)) {
        fail("ResourceInUseException", `Cluster has nodegroups attached`, { status: 409 });
      }
      if (cluster.status === "DELETING")
        fail("ResourceInUseException", `Cluster ${cluster.name} is already being deleted.`, { status: 409 });
      cluster.status = "DELETING";
      this.ctx.jobs.cancelWhere("eks.cluster.active", (a) => a === cluster.arn);
      this.ctx.jobs.schedule("eks.cluster.gone", this.ctx.durations.eksClusterDelete, cluster.arn);
      return { cluster: this.clusterOut(cluster) };
    },
    CreateNodegroup: (input: CreateNodegroupCommandInput, region: string) => {
      const cluster = this.activeCluster(region, input.clusterName);
      const name = input.nodegroupName ?? fail("InvalidParameterException", "nodegroupName is required");
      if (
        this.state.nodegroups.some(
          (n) => n.region === region && n.cluster === cluster.name && n.name === name,
        )
      ) {
        fail(
          "ResourceInUseException",
          `NodeGroup already exists with name ${name} and cluster name ${cluster.name}`,
          { status: 409 },
        );
      }
      if (!input.nodeRole) fail("InvalidParameterException", "nodeRole is required");
      if (!input.subnets || input.subnets.length === 0)
        fail("InvalidParameterException", "subnets is required");
      const scaling = {
        minSize: input.scalingConfig?.minSize ?? 1,
        maxSize: input.scalingConfig?.maxSize ?? 2,
        desiredSize: input.scalingConfig?.desiredSize ?? 2,
      };
      this.checkScaling(scaling);
      const now = this.ctx.clock.date();
      const nodegroup: Nodegroup = {
        region,
        cluster: cluster.name,
        name,
        arn: this.arnOf(region, "nodegroup", `${cluster.name}/${name}/${randomUUID()}`),
        status: "CREATING",
        nodeRole: input.nodeRole,
        instanceTypes: input.instanceTypes ?? ["t3.medium"],
        scaling,
        nodes: 0,
        createdAt: now,
        modifiedAt: now,
        tags: { ...(input.tags ?? {}) },
        labels: { ...(input.labels ?? {}) },
        capacityType: input.capacityType ?? "ON_DEMAND",
      };
      this.state.nodegroups.push(nodegroup);
      // Nodes join together at creation: the group becomes ACTIVE once the initial capacity is in.
      nodegroup.nodes = Math.max(0, scaling.desiredSize - 1);
      this.ctx.jobs.schedule("eks.nodegroup.step", this.ctx.durations.nodegroupCreate, nodegroup.arn);
      return { nodegroup: this.nodegroupOut(nodegroup) };
    },
    DescribeNodegroup: (input: DescribeNodegroupCommandInput, region: string) => ({
      nodegroup: this.nodegroupOut(this.nodegroup(region, input.clusterName, input.nodegroupName)),
    }),
    ListNodegroups: (input: ListNodegroupsCommandInput, region: string) => {
      const cluster = this.cluster(region, input.clusterName);
      return {
        nodegroups: this.state.nodegroups
          .filter((n) => n.region === region && n.cluster === cluster.name)
          .map((n) => n.name),
      };
    },
    UpdateNodegroupConfig: (input: UpdateNodegroupConfigCommandInput, region: string) => {
      const nodegroup = this.nodegroup(region, input.clusterName, input.nodegroupName);
      if (nodegroup.status !== "ACTIVE") {
        fail(
          "ResourceInUseException",
          `Nodegroup ${nodegroup.name} is currently ${nodegroup.status}; wait for the ongoing update to finish.`,
          { status: 409 },
        );
      }
      const params: { type: string; value: string }[] = [];
      if (input.scalingConfig) {
        const next = {
          minSize: input.scalingConfig.minSize ?? nodegroup.scaling.minSize,
          maxSize: input.scalingConfig.maxSize ?? nodegroup.scaling.maxSize,
          desiredSize: input.scalingConfig.desiredSize ?? nodegroup.scaling.desiredSize,
        };
        this.checkScaling(next);
        nodegroup.scaling = next;
        params.push(
          { type: "MinSize", value: String(next.minSize) },
          { type: "MaxSize", value: String(next.maxSize) },
          { type: "DesiredSize", value: String(next.desiredSize) },
        );
      }
      if (input.labels) {
        for (const [k, v] of Object.entries(input.labels.addOrUpdateLabels ?? {})) nodegroup.labels[k] = v;
        for (const k of input.labels.removeLabels ?? []) delete nodegroup.labels[k];
        params.push({ type: "LabelsToAdd", value: JSON.stringify(input.labels.addOrUpdateLabels ?? {}) });
      }
      const update: Update = {
        id: randomUUID(),
        region,
        cluster: nodegroup.cluster,
        nodegroup: nodegroup.name,
        status: "InProgress",
        type: "ConfigUpdate",
        params,
        createdAt: this.ctx.clock.date(),
      };
      this.state.updates.push(update);
      nodegroup.status = "UPDATING";
      this.ctx.jobs.schedule(
        "eks.nodegroup.step",
        nodegroup.nodes === nodegroup.scaling.desiredSize ? 30_000 : this.ctx.durations.nodeScaleStep,
        nodegroup.arn,
      );
      return { update: this.updateOut(update) };
    },
    DescribeUpdate: (input: DescribeUpdateCommandInput, region: string) => {
      const update = this.state.updates.find(
        (u) => u.region === region && u.id === input.updateId && u.cluster === input.name,
      );
      if (!update)
        fail("ResourceNotFoundException", `No update found for ID: ${input.updateId}`, { status: 404 });
      return { update: this.updateOut(update) };
    },
    DeleteNodegroup: (input: DeleteNodegroupCommandInput, region: string) => {
      const nodegroup = this.nodegroup(region, input.clusterName, input.nodegroupName);
      if (nodegroup.status === "DELETING")
        fail("ResourceInUseException", `Nodegroup ${nodegroup.name} is already being deleted.`, {
          status: 409,
        });
      nodegroup.status = "DELETING";
      this.ctx.jobs.cancelWhere("eks.nodegroup.step", (a) => a === nodegroup.arn);
      this.ctx.jobs.schedule("eks.nodegroup.step", this.ctx.durations.nodegroupDelete, nodegroup.arn);
      nodegroup.nodes = Math.min(nodegroup.nodes, 1);
      return { nodegroup: this.nodegroupOut(nodegroup) };
    },
    CreateAccessEntry: (input: CreateAccessEntryCommandInput, region: string) => {
      const cluster = this.activeCluster(region, input.clusterName);
      if (cluster.authenticationMode === "CONFIG_MAP") {
        fail(
          "InvalidRequestException",
          "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        );
      }
      const principalArn =
        input.principalArn ?? fail("InvalidParameterException", "principalArn is required");
      if (!/^arn:aws:iam::\d{12}:(role|user)\//.test(principalArn))
        fail("InvalidParameterException", `The principalArn parameter format is not valid`);
      // "An access entry includes the ARN of one, and only one, existing IAM principal" (EKS User Guide,
      // Create access entries).
      if (!this.principalExists(principalArn))
        fail("InvalidParameterException", "The specified principalArn is invalid: invalid principal.");
      if (
        this.state.accessEntries.some(
          (e) => e.region === region && e.cluster === cluster.name && e.principalArn === principalArn,
        )
      ) {
        fail(
          "ResourceInUseException",
          "The specified access entry resource is already in use on this cluster.",
          { status: 409 },
        );
      }
      const now = this.ctx.clock.date();
      const entry: AccessEntry = {
        region,
        cluster: cluster.name,
        principalArn,
        arn: this.arnOf(
          region,
          "access-entry",
          `${cluster.name}/${accessEntryPrincipalPath(principalArn)}/${randomUUID()}`,
        ),
        kubernetesGroups: [...(input.kubernetesGroups ?? [])],
        username: input.username ?? principalArn,
        type: input.type ?? "STANDARD",
        createdAt: now,
        modifiedAt: now,
        tags: { ...(input.tags ?? {}) },
        policies: [],
      };
      this.state.accessEntries.push(entry);
      return { accessEntry: this.entryOut(entry) };
    },
    DescribeAccessEntry: (input: DescribeAccessEntryCommandInput, region: string) => ({
      accessEntry: this.entryOut(this.accessEntry(region, input.clusterName, input.principalArn)),
    }),
    ListAccessEntries: (input: ListAccessEntriesCommandInput, region: string) => {
      const cluster = this.cluster(region, input.clusterName);
      return {
        accessEntries: this.state.accessEntries
          .filter(
            (e) =>
              e.region === region &&
              e.cluster === cluster.name &&
              (!input.associatedPolicyArn ||
                e.policies.some((p) => p.policyArn === input.associatedPolicyArn)),
          )
          .map((e) => e.principalArn),
      };
    },
    DeleteAccessEntry: (input: DeleteAccessEntryCommandInput, region: string) => {
      const entry = this.accessEntry(region, input.clusterName, input.principalArn);
      this.state.accessEntries = this.state.accessEntries.filter((e) => e !== entry);
      return {};
    },
    AssociateAccessPolicy: (input: AssociateAccessPolicyCommandInput, region: string) => {
      const entry = this.accessEntry(region, input.clusterName, input.principalArn);
      const policyArn = input.policyArn ?? fail("InvalidParameterException", "policyArn is required");
      if (!policyArn.startsWith("arn:aws:eks::aws:cluster-access-policy/"))
        fail("InvalidParameterException", `The policyArn ${policyArn} is not valid`);
      const scope = {
        type: input.accessScope?.type ?? "cluster",
        namespaces: input.accessScope?.namespaces ?? [],
      };
      if (scope.type === "namespace" && scope.namespaces.length === 0)
        fail("InvalidParameterException", "namespaces must be set for a namespace access scope");
      const now = this.ctx.clock.date();
      const existing = entry.policies.find((p) => p.policyArn === policyArn);
      if (existing) {
        existing.accessScope = scope;
        existing.modifiedAt = now;
      } else entry.policies.push({ policyArn, accessScope: scope, associatedAt: now, modifiedAt: now });
      const policy = entry.policies.find((p) => p.policyArn === policyArn);
      return {
        clusterName: entry.cluster,
        principalArn: entry.principalArn,
        associatedAccessPolicy: policy ? { ...policy, accessScope: { ...policy.accessScope } } : undefined,
      };
    },
    DisassociateAccessPolicy: (input: DisassociateAccessPolicyCommandInput, region: string) => {
      const entry = this.accessEntry(region, input.clusterName, input.principalArn);
      if (!entry.policies.some((p) => p.policyArn === input.policyArn)) {
        fail(
          "ResourceNotFoundException",
          `The specified policy ${input.policyArn} is not associated with this access entry.`,
          { status: 404 },
        );
      }
      entry.policies = entry.policies.filter((p) => p.policyArn !== input.policyArn);
      return {};
    },
    ListAssociatedAccessPolicies: (input: ListAssociatedAccessPoliciesCommandInput, region: string) => {
      const entry = this.accessEntry(region, input.clusterName, input.principalArn);
      return {
        clusterName: entry.cluster,
        principalArn: entry.principalArn,
        associatedAccessPolicies: entry.policies.map((p) => ({ ...p, accessScope: { ...p.accessScope } })),
      };
    },
    CreatePodIdentityAssociation: (input: CreatePodIdentityAssociationCommandInput, region: string) => {
      const cluster = this.activeCluster(region, input.clusterName);
      const namespace = input.namespace ?? fail("InvalidParameterException", "namespace is required");
      const serviceAccount =
        input.serviceAccount ?? fail("InvalidParameterException", "serviceAccount is required");
      const roleArn = input.roleArn ?? fail("InvalidParameterException", "roleArn is required");
      if (
        this.state.podIdentities.some(
          (p) =>
            p.region === region &&
            p.cluster === cluster.name &&
            p.namespace === namespace &&
            p.serviceAccount === serviceAccount,
        )
      ) {
        fail("ResourceInUseException", "Association already exists", { status: 409 });
      }
      const id = `a-${randomId(17)}`;
      const now = this.ctx.clock.date();
      const association: PodIdentity = {
        region,
        cluster: cluster.name,
        id,
        arn: this.arnOf(region, "podidentityassociation", `${cluster.name}/${id}`),
        namespace,
        serviceAccount,
        roleArn,
        createdAt: now,
        modifiedAt: now,
        tags: { ...(input.tags ?? {}) },
      };
      this.state.podIdentities.push(association);
      return { association: this.podIdentityOut(association) };
    },
    DescribePodIdentityAssociation: (input: DescribePodIdentityAssociationCommandInput, region: string) => ({
      association: this.podIdentityOut(this.podIdentity(region, input.clusterName, input.associationId)),
    }),
    ListPodIdentityAssociations: (input: ListPodIdentityAssociationsCommandInput, region: string) => {
      const cluster = this.cluster(region, input.clusterName);
      return {
        associations: this.state.podIdentities
          .filter((p) => p.region === region && p.cluster === cluster.name)
          .filter(
            (p) =>
              (!input.namespace || p.namespace === input.namespace) &&
              (!input.serviceAccount || p.serviceAccount === input.serviceAccount),
          )
          .map((p) => ({
            clusterName: p.cluster,
            namespace: p.namespace,
            serviceAccount: p.serviceAccount,
            associationArn: p.arn,
            associationId: p.id,
          })),
      };
    },
    DeletePodIdentityAssociation: (input: DeletePodIdentityAssociationCommandInput, region: string) => {
      const association = this.podIdentity(region, input.clusterName, input.associationId);
      this.state.podIdentities = this.state.podIdentities.filter((p) => p !== association);
      return { association: this.podIdentityOut(association) };
    },
    TagResource: (input: TagResourceCommandInput) => {
      const target = this.taggable(input.resourceArn);
      Object.assign(target.tags, input.tags ?? {});
      return {};
    },
    UntagResource: (input: UntagResourceCommandInput) => {
      const target = this.taggable(input.resourceArn);
      for (const key of input.tagKeys ?? []) delete target.tags[key];
      return {};
    },
    ListTagsForResource: (input: ListTagsForResourceCommandInput) => ({
      tags: { ...this.taggable(input.resourceArn).tags },
    }),
  };

  private podIdentity(region: string, cluster: string | undefined, id: string | undefined): PodIdentity {
    this.cluster(region, cluster);
    const association = this.state.podIdentities.find(
      (p) => p.region === region && p.cluster === cluster && p.id === id,
    );
    if (!association)
      fail("ResourceNotFoundException", `Pod Identity association ${id} not found.`, { status: 404 });
    return association;
  }

  private taggable(arn: string | undefined): { tags: Record<string, string> } {
    const found =
      this.state.clusters.find((c) => c.arn === arn) ??
      this.state.nodegroups.find((n) => n.arn === arn) ??
      this.state.accessEntries.find((e) => e.arn === arn) ??
      this.state.podIdentities.find((p) => p.arn === arn);
    if (!found) fail("NotFoundException", `Resource ${arn} not found.`, { status: 404 });
    return found;
  }

  private checkScaling(s: { minSize: number; maxSize: number; desiredSize: number }): void {
    if (
      s.minSize < 0 ||
      s.maxSize < 1 ||
      s.minSize > s.maxSize ||
      s.desiredSize < s.minSize ||
      s.desiredSize > s.maxSize
    ) {
      fail(
        "InvalidParameterException",
        `scalingConfig is invalid: need 0 <= minSize (${s.minSize}) <= desiredSize (${s.desiredSize}) <= maxSize (${s.maxSize}), maxSize >= 1`,
      );
    }
  }

  describe(): Record<string, Record<string, unknown[]>> {
    const out = {};
    for (const c of this.state.clusters) {
      addTo(out, c.region, "clusters", {
        name: c.name,
        status: c.status,
        version: c.version,
        endpoint: this.apis.get(c.arn)?.endpoint,
        objects: this.apis.get(c.arn)?.size() ?? 0,
      });
    }
    for (const n of this.state.nodegroups)
      addTo(out, n.region, "nodegroups", {
        cluster: n.cluster,
        name: n.name,
        status: n.status,
        nodes: n.nodes,
        desired: n.scaling.desiredSize,
      });
    for (const e of this.state.accessEntries)
      addTo(out, e.region, "accessEntries", {
        cluster: e.cluster,
        principal: e.principalArn,
        policies: e.policies.map((p) => p.policyArn.split("/").pop()),
      });
    for (const p of this.state.podIdentities)
      addTo(out, p.region, "podIdentityAssociations", {
        cluster: p.cluster,
        serviceAccount: `${p.namespace}/${p.serviceAccount}`,
        role: p.roleArn,
      });
    for (const c of this.state.clusters) {
      const api = this.apis.get(c.arn);
      if (!api) continue;
      for (const ns of api.list("Namespace")) {
        const name = ns.metadata?.name ?? "";
        if (["default", "kube-system", "kube-public", "kube-node-lease"].includes(name)) continue;
        const deployments = api
          .list("Deployment", name)
          .map(
            (d) =>
              `${d.metadata?.name} ${JSON.stringify((d.status as { readyReplicas?: number } | undefined)?.readyReplicas ?? 0)}/${JSON.stringify((d.spec as { replicas?: number } | undefined)?.replicas ?? 1)}`,
          );
        addTo(out, c.region, "namespaces", {
          cluster: c.name,
          name,
          phase: (ns.status as { phase?: string } | undefined)?.phase,
          deployments,
        });
      }
    }
    return out;
  }

  /** The text of the last save's EKS resources (each cluster's Kubernetes objects keep their own). */
  private readonly saved = new SavedText();

  /**
   * EKS resources serialized again only once an EKS call or job ran since the last save (changes.ts),
   * each cluster's Kubernetes objects only once one of them changed (they count their own writes,
   * whether through the API server, a job or in process).
   */
  save(): JsonText {
    const apis: Record<string, JsonText> = {};
    for (const [arn, api] of this.apis) apis[arn] = api.save();
    return objectText({
      state: this.saved.take(this.ctx.changes?.token(this.name), () => this.state),
      apis: objectText(apis),
    });
  }

  async load(saved: Json): Promise<void> {
    await this.close();
    const { state, apis } = fromJson<{ state: State; apis: Record<string, Json> }>(saved);
    this.state = state;
    for (const cluster of state.clusters) {
      const api = await this.startApi(cluster);
      const objects = apis[cluster.arn];
      if (objects) api.load(objects);
    }
  }

  async close(): Promise<void> {
    for (const api of this.apis.values()) await api.stop();
    this.apis.clear();
  }
}

/**
 * The principal part of an access entry's ARN, as EKS writes it:
 * `access-entry/<cluster>/<role|user>/<account>/<name>/<uuid>` (Service Authorization Reference, EKS).
 */
export function accessEntryPrincipalPath(principalArn: string): string {
  const [, , , , account = "", resource = ""] = principalArn.split(":");
  const [type = "role", ...path] = resource.split("/");
  return `${type}/${account}/${path.at(-1) ?? ""}`;
}
