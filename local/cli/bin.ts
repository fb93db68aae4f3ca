#!/usr/bin/env node
/**
 * The `cplane` CLI. Every command but `start` talks to a running control plane through the AWS SDK:
 * the local runtime by default, a deployed stage with `--target aws --region R --stage S`.
 */
import { cli } from "./main.ts";

// `cplane ... | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

process.exitCode = await cli(process.argv.slice(2));
