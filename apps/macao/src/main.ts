import { startAuthorityApp } from '#authority';
import { runApp } from '#platform';

void runApp('macao', () => startAuthorityApp('MO'));
