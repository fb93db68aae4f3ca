export const bus = new sst.aws.Bus("ControlPlaneBus");
