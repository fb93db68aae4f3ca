/**
 * Types for asl-validator 4, which ships none. Note: it writes a default `QueryLanguage` into every
 * state of the definition it is given, so pass it a copy (`structuredClone`).
 */
declare module "asl-validator" {
  export interface AslValidationError {
    readonly "Error code": string;
    readonly Message: string;
    readonly path?: string;
  }
  export interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly AslValidationError[];
  }
  export interface AslValidatorOptions {
    readonly checkPaths?: boolean;
    readonly checkArn?: boolean;
  }
  export default function validator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;
}
