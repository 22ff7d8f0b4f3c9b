import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { claimDomain } from '@verilay/protocol';
import { VerifierConfig } from '../config/verifier.config';
import { ChainContext } from './chain-context';
import { ChainViewDto } from './chain-view.dto';

/** Where the verifier's claims go on chain, and the EIP-712 domain operators must sign for. */
@ApiTags('chain')
@Controller('v1/chain')
export class ChainController {
  constructor(
    private readonly config: VerifierConfig,
    private readonly chain: ChainContext,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The chain, the contracts and the claims EIP-712 domain' })
  @ApiOkResponse({
    type: ChainViewDto,
    description: 'chainId, rpcUrl (embedded chains only), contracts, sequencer, domain',
  })
  info() {
    const { deployment, sequencer } = this.chain;
    return {
      chainId: deployment.chainId,
      rpcUrl: this.chain.embedded ? this.chain.rpcUrl : undefined,
      claims: deployment.claims,
      registry: deployment.registry,
      deployBlock: deployment.deployBlock.toString(),
      sequencer: sequencer.account.address,
      domain: claimDomain(this.config.chainId, this.config.claimsContract),
    };
  }
}
