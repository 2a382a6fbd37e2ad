import { startAuthorityApp } from '#authority';
import { runApp } from '#platform';

void runApp('hong-kong', () => startAuthorityApp('HK'));
