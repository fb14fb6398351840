import { PalisadeError } from '../../model/errors.js';
import { isDigest } from './digest.js';

/** A parsed registry reference (`registry.example:5000/team/app:1.2@sha256:...`). */
export interface ImageReference {
  /** Host and port as written, `docker.io` for Docker Hub. */
  domain: string;
  /** Host and port to send API requests to (`registry-1.docker.io` for Docker Hub). */
  apiHost: string;
  /** Repository path (`library/nginx`). */
  repository: string;
  tag?: string;
  digest?: string;
  /** Normalised text of the reference. */
  normalized: string;
}

const DOCKER_HUB = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;

/**
 * Parses a reference the way Docker does: the first component is a registry host when it contains `.` or
 * `:` or is `localhost`; otherwise the image is on Docker Hub (`nginx` is `docker.io/library/nginx`). The
 * tag defaults to `latest` unless a digest is given.
 */
export function parseReference(input: string): ImageReference {
  const bad = (why: string): never => {
    throw new PalisadeError('E_IMAGE_SOURCE', `invalid image reference "${input}": ${why}`);
  };
  let s = input.trim();
  for (const prefix of ['docker://', 'registry:']) if (s.startsWith(prefix)) s = s.slice(prefix.length);
  if (s === '') bad('empty');
  let digest: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    digest = s.slice(at + 1);
    s = s.slice(0, at);
    if (!isDigest(digest)) bad(`"${digest}" is not a sha256 or sha512 digest`);
  }
  let tag: string | undefined;
  const colon = s.lastIndexOf(':');
  if (colon > s.lastIndexOf('/')) {
    tag = s.slice(colon + 1);
    s = s.slice(0, colon);
    if (!TAG.test(tag)) bad(`"${tag}" is not a valid tag`);
  }
  let domain = DOCKER_HUB;
  let path = s;
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const first = s.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('[')) {
      domain = first;
      path = s.slice(slash + 1);
      if (!HOST.test(domain)) bad(`"${domain}" is not a valid registry host`);
    }
  }
  if (domain === 'index.docker.io') domain = DOCKER_HUB;
  if (domain === DOCKER_HUB && !path.includes('/')) path = `library/${path}`;
  if (path === '' || !path.split('/').every((c) => COMPONENT.test(c))) bad('repository names are lower-case letters, digits and separators (. _ __ -)');
  if (path.length > 255) bad('repository name longer than 255 characters');
  if (!tag && !digest) tag = 'latest';
  const apiHost = domain === DOCKER_HUB ? 'registry-1.docker.io' : domain;
  const normalized = `${domain}/${path}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { domain, apiHost, repository: path, tag, digest, normalized };
}
