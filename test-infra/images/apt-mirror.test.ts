import { describe, expect, it } from 'vitest';
import { AptMirrorNotFoundError, findAptMirror } from './apt-mirror.js';

describe('findAptMirror', () => {
  it('reads a deb822 stanza and skips the security suite', () => {
    const text = [
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb deb-src',
      '# a comment line',
      'URIs: http://mirror.example.org/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main contrib',
    ].join('\n');
    expect(
      findAptMirror({ files: [{ path: '/etc/apt/sources.list.d/debian.sources', text }], suite: 'bookworm' }),
    ).toBe('http://mirror.example.org/debian');
  });

  it('reads one-line entries with options and ignores deb-src and disabled stanzas', () => {
    const disabled =
      'Enabled: no\nTypes: deb\nURIs: http://disabled.example.org/debian\nSuites: bookworm\nComponents: main';
    const list = [
      'deb-src http://src.example.org/debian bookworm main',
      'deb [arch=amd64 signed-by=/k.gpg] https://one.example.org/debian bookworm main non-free # trailing',
    ].join('\n');
    const files = [
      { path: '/etc/apt/sources.list.d/a.sources', text: disabled },
      { path: '/etc/apt/sources.list', text: list },
    ];
    expect(findAptMirror({ files, suite: 'bookworm' })).toBe('https://one.example.org/debian');
  });

  it('names the files it checked when no mirror serves the suite', () => {
    const files = [{ path: '/etc/apt/sources.list', text: 'deb http://mirror.example/debian trixie main' }];
    expect(() => findAptMirror({ files, suite: 'bookworm' })).toThrow(AptMirrorNotFoundError);
    expect(() => findAptMirror({ files, suite: 'bookworm' })).toThrow(/\/etc\/apt\/sources\.list/);
  });
});
