// Data: a seeded DataLoader and synthetic data sets with known ground truth (pg.data).
export { DataLoader, type Dataset, type Batch, type DataLoaderOptions, type DataLoaderState } from './loader.js';
export { gaussianMixture, normalCdf, erfc, type GaussianMixture, type GaussianMixtureOptions } from './mixtures.js';
export { injectLabelNoise, plantNearDuplicates, type LabelNoise, type LabelNoiseOptions, type NearDuplicates, type NearDuplicateOptions } from './noise.js';
export {
  proceduralImages,
  applyShift,
  IMAGE_CLASSES,
  SHAPE_CLASSES,
  DIGIT_CLASSES,
  type ProceduralImages,
  type ProceduralImagesOptions,
  type ImageShift,
  type ColorTransform,
} from './images.js';
export {
  markovLanguage,
  MarkovLanguage,
  dyckLanguage,
  DyckLanguage,
  type MarkovLanguageOptions,
  type DyckLanguageOptions,
} from './tokens.js';
