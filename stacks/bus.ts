/** The control plane's own event bus: every request, outcome and Git push travels on it. */
/** Named `<app>-<stage>-bus` so that the CLI's `--target aws --stage S` finds it without stack outputs. */
export const bus = new sst.aws.Bus("ControlPlaneBus", {
  transform: { bus: { name: `${$app.name}-${$app.stage}-bus` } },
});
