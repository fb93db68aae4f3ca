/** GitHub `push` and GitLab `Push Hook` payloads, and their normalization into a `Git Push` detail. */
import { z } from "zod";
import type { DetailOf } from "../../../events/define.ts";
import type { GitPush } from "../../../events/operations.ts";

export type GitPushDetail = DetailOf<typeof GitPush>;

const Sha = z.string().regex(/^[0-9a-f]{7,64}$/);
const ZERO = /^0+$/;

export const GitHubPush = z.object({
  ref: z.string().min(1),
  before: Sha,
  after: Sha,
  deleted: z.boolean().optional(),
  repository: z.object({
    full_name: z.string().min(1),
    html_url: z.string().min(1),
    default_branch: z.string().optional(),
  }),
  pusher: z.object({ name: z.string().min(1), email: z.string().nullish() }),
  head_commit: z
    .object({ id: Sha, message: z.string(), timestamp: z.string().optional(), url: z.string().optional() })
    .nullish(),
  commits: z.array(z.unknown()).default([]),
});

export const GitLabPush = z.object({
  object_kind: z.literal("push"),
  ref: z.string().min(1),
  before: Sha,
  after: Sha,
  user_name: z.string().optional(),
  user_username: z.string().optional(),
  user_email: z.string().nullish(),
  project: z.object({
    path_with_namespace: z.string().min(1),
    web_url: z.string().min(1),
    default_branch: z.string().optional(),
  }),
  commits: z
    .array(
      z.object({
        id: Sha,
        message: z.string(),
        timestamp: z.string().optional(),
        url: z.string().optional(),
      }),
    )
    .default([]),
  total_commits_count: z.number().int().nonnegative().optional(),
});

function branchOf(ref: string): string | null {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : null;
}

export function normalizeGitHubPush(push: z.infer<typeof GitHubPush>, deliveryId: string): GitPushDetail {
  const head = push.head_commit;
  return {
    provider: "github",
    deliveryId,
    repository: {
      fullName: push.repository.full_name,
      url: push.repository.html_url,
      ...(push.repository.default_branch ? { defaultBranch: push.repository.default_branch } : {}),
    },
    ref: push.ref,
    branch: branchOf(push.ref),
    before: push.before,
    after: push.after,
    pusher: { name: push.pusher.name, ...(push.pusher.email ? { email: push.pusher.email } : {}) },
    headCommit: head
      ? {
          id: head.id,
          message: head.message,
          ...(head.timestamp ? { timestamp: head.timestamp } : {}),
          ...(head.url ? { url: head.url } : {}),
        }
      : null,
    commitCount: push.commits.length,
    deleted: push.deleted ?? ZERO.test(push.after),
  };
}

export function normalizeGitLabPush(push: z.infer<typeof GitLabPush>, deliveryId: string): GitPushDetail {
  const head = push.commits.find((commit) => commit.id === push.after) ?? push.commits.at(-1);
  const pusher = push.user_username ?? push.user_name ?? "unknown";
  return {
    provider: "gitlab",
    deliveryId,
    repository: {
      fullName: push.project.path_with_namespace,
      url: push.project.web_url,
      ...(push.project.default_branch ? { defaultBranch: push.project.default_branch } : {}),
    },
    ref: push.ref,
    branch: branchOf(push.ref),
    before: push.before,
    after: push.after,
    pusher: { name: pusher, ...(push.user_email ? { email: push.user_email } : {}) },
    headCommit: head
      ? {
          id: head.id,
          message: head.message,
          ...(head.timestamp ? { timestamp: head.timestamp } : {}),
          ...(head.url ? { url: head.url } : {}),
        }
      : null,
    commitCount: push.total_commits_count ?? push.commits.length,
    deleted: ZERO.test(push.after),
  };
}
