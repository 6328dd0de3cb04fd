import { describe, expect, it } from 'vitest';
import {
  isVarlinkFieldName,
  isVarlinkInterfaceName,
  isVarlinkMemberName,
  splitQualifiedName,
} from '../../../src/varlink/idl/index.js';

describe('Varlink names', () => {
  it('follows the UAPI.20 interface name rule', () => {
    for (const ok of ['org.varlink.service', 'io.systemd.Manager', 'com.example.0x', 'a-b.c--d']) {
      expect(isVarlinkInterfaceName(ok)).toBe(true);
    }
    for (const bad of ['org', '0rg.example', 'org.-x', 'org.x-', 'org..x', '.org.x', 'org.x.', 'org.x_y']) {
      expect(isVarlinkInterfaceName(bad)).toBe(false);
    }
  });

  it('follows the member and field name rules', () => {
    expect(['GetInfo', 'A', 'Test01'].map(isVarlinkMemberName)).toEqual([true, true, true]);
    expect(['getInfo', 'Get_Info', '', '1A'].map(isVarlinkMemberName)).toEqual([false, false, false, false]);
    expect(['a', 'client_id', 'Test', 'a1_b2'].map(isVarlinkFieldName)).toEqual([true, true, true, true]);
    expect(['_a', 'a_', 'a__b', '1a', ''].map(isVarlinkFieldName)).toEqual([false, false, false, false, false]);
  });

  it('splits a qualified method name at its last dot', () => {
    expect(splitQualifiedName('org.varlink.service.GetInfo')).toEqual({ interface: 'org.varlink.service', member: 'GetInfo' });
    expect(splitQualifiedName('GetInfo')).toBeUndefined();
    expect(splitQualifiedName('org.varlink.service.getInfo')).toBeUndefined();
    expect(splitQualifiedName('service.GetInfo')).toBeUndefined();
  });
});
