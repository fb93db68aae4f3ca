/** The control plane's own event bus: every request, outcome and Git push travels on it. */
export const bus = new sst.aws.Bus("ControlPlaneBus");
