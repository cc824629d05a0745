import Docker from 'dockerode';

let client: Docker | undefined;

/** One dockerode client per process; honours DOCKER_HOST like the docker CLI. */
export function docker(): Docker {
  client ??= new Docker();
  return client;
}
