/** Investigation only: the bare workflows inside the product's bundle (same size, same modules). */
export * from '../../src/workflows';
export * from './bare-workflows';
