import { defineConfig } from 'tsup';
import { definePackageBuild } from '../../tsup.config.base';

export default defineConfig(definePackageBuild());
