import { startAuthorityApp } from '#authority';
import { runApp } from '#platform';

void runApp('mainland', () => startAuthorityApp('CN'));
