export * from './core/api';
