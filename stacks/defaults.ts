/** Defaults every function shares, set once. */
$transform(sst.aws.Function, (args: sst.aws.FunctionArgs) => {
  args.runtime ??= "nodejs24.x";
  args.architecture ??= "arm64";
  args.logging ??= { retention: "1 month", format: "json" };
  args.transform = {
    ...args.transform,
    function: (fn: aws.lambda.FunctionArgs) => {
      fn.tracingConfig = { mode: "Active" };
    },
  };
});
