export * from './constructs';
export { createElementApp, DEFAULT_STACK_NAME, type ElementApp } from './element-app';
export { SERVICE_NAME, SnowElementStack, type SnowElementStackProps } from './stack';
