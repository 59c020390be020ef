// Registers packages/kube's error classifier with ./cli-error.ts. Imported (for its effect) by the data
// layer's session module, so toCliError understands API errors whenever an API call can have failed.
import { classifyApiError } from '@ipam-in-cluster/kube';
import { useKubeErrorClassifier } from './cli-error.js';

useKubeErrorClassifier(classifyApiError);
