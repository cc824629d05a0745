/** Which server answers the MongoDB wire protocol for a node's database. */
export type DbKind = 'mongo' | 'ferretdb' | 'nx-27017';

export type ImageLog = (line: string) => void;

/** The images a run uses, resolved to local tags. */
export interface ImageSet {
  base: string;
  node: string;
  db: string;
  dbKind: DbKind;
}

export interface DbImage {
  image: string;
  kind: DbKind;
  /** Why this database was picked, for the progress log and the manifest. */
  reason: string;
}

/** Shared paths and helpers handed to each image step. */
export interface BuildContext {
  repoRoot: string;
  /** `<repo>/.cache/images`: staging directories and cached tarballs. */
  workDir: string;
  step: StepRunner;
}

export type StepRunner = <T>(label: string, run: () => Promise<T>, describe?: (result: T) => string) => Promise<T>;

/** Label carrying the content hash an image was built from, so a warm run can trust a tag. */
export const inputHashLabel = 'fluxnet.input-hash';
