import { defineConfig } from 'tsup';
import { definePackageBuild } from '../../tsup.config.base';

// A second entry for the `palisade` command (bin); its types are not API.
export default defineConfig(definePackageBuild({ entry: ['src/index.ts', 'src/cli.ts'], dts: { entry: 'src/index.ts' } }));
