// The Secrets Manager wire fake lives with the stack runner, which serves it to the synthesized functions.
export * from '../../../functions/stack-runner/secrets-manager-emulator';
