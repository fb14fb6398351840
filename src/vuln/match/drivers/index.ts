import type { OsDriver } from '../driver.js';
import { alma } from './alma.js';
import { alpine } from './alpine.js';
import { amazon } from './amazon.js';
import { azure } from './azure.js';
import { debian } from './debian.js';
import { fedora } from './fedora.js';
import { oracle } from './oracle.js';
import { photon } from './photon.js';
import { redhat } from './redhat.js';
import { rocky } from './rocky.js';
import { suse } from './suse.js';
import { ubuntu } from './ubuntu.js';
import { wolfi } from './wolfi.js';

/** Every OS driver: one file each in this folder. An OS family is served by exactly one of them. */
export const DRIVERS: readonly OsDriver[] = [debian, ubuntu, alpine, wolfi, redhat, alma, rocky, oracle, amazon, fedora, suse, photon, azure];
