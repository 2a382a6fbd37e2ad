import { runApp } from '#platform';
import { startRegistryApp } from './registry-app.js';

void runApp('registry', () => startRegistryApp());
